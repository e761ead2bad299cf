//! The box headings of the standard form in the three languages of the Convention. The
//! English ones are as EPIX prints them; the French and Spanish ones follow the Resolution's
//! versions as far as known here ([K]: to be checked against the published forms).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentLang {
    En,
    Fr,
    Es,
}

impl DocumentLang {
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "en" => Some(Self::En),
            "fr" => Some(Self::Fr),
            "es" => Some(Self::Es),
            _ => None,
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Fr => "fr",
            Self::Es => "es",
        }
    }

    pub fn words(self) -> &'static Words {
        match self {
            Self::En => &EN,
            Self::Fr => &FR,
            Self::Es => &ES,
        }
    }
}

pub struct Words {
    pub convention: &'static str,
    pub number: &'static str,
    pub kinds: [&'static str; 4],
    pub original: &'static str,
    pub b2: &'static str,
    pub b3: &'static str,
    pub b3a: &'static str,
    pub b4: &'static str,
    pub b5: &'static str,
    pub b5a: &'static str,
    pub b5b: &'static str,
    pub b6: &'static str,
    pub b78: &'static str,
    pub b9: &'static str,
    pub b10: &'static str,
    pub b11: &'static str,
    pub b11a: &'static str,
    pub b12: &'static str,
    pub b12a: &'static str,
    pub b12b: &'static str,
    pub b13: &'static str,
    pub b13_seal: &'static str,
    pub b14: &'static str,
    pub b15: &'static str,
    pub block: &'static str,
    pub management_authority: &'static str,
    pub seal_caption: &'static str,
    pub cancelled: &'static str,
    pub replaced: &'static str,
    pub lost: &'static str,
    pub not_issued: &'static str,
    pub replaces: &'static str,
    pub more_lines: &'static str,
}

static EN: Words = Words {
    convention: "CONVENTION ON INTERNATIONAL TRADE IN ENDANGERED SPECIES OF WILD FAUNA AND FLORA",
    number: "PERMIT/CERTIFICATE No.",
    kinds: ["EXPORT", "RE-EXPORT", "IMPORT", "OTHER"],
    original: "Original",
    b2: "2. Valid until",
    b3: "3. Importer (name and address)",
    b3a: "3a. Country of import",
    b4: "4. Exporter/re-exporter (name, address and country)",
    b5: "5. Special conditions",
    b5a: "5a. Purpose of the transaction",
    b5b: "5b. Security stamp No.",
    b6: "6. Name, address, national seal/stamp and country of Management Authority",
    b78: "7./8. Scientific name (genus and species) and common name of animal or plant",
    b9: "9. Description of specimens, including identifying marks or numbers",
    b10: "10. Appendix No. and source",
    b11: "11. Quantity (including unit)",
    b11a: "11a. Total exported/Quota",
    b12: "12. Country of origin · Permit No. · Date",
    b12a: "12a. Country of last re-export · Certificate No. · Date",
    b12b: "12b. No. of the operation or date of acquisition",
    b13: "13. This permit/certificate is issued by: place, date",
    b13_seal: "Security stamp, signature and official seal",
    b14: "14. Export endorsement: block, quantity, port of export, date",
    b15: "15. Bill of Lading/Air waybill number",
    block: "Block",
    management_authority: "Management Authority of",
    seal_caption: "Signed seal: check offline with the keys at /.well-known/ecites-keys.json",
    cancelled: "CANCELLED",
    replaced: "REPLACED",
    lost: "LOST OR STOLEN",
    not_issued: "NOT ISSUED",
    replaces: "Replaces permit",
    more_lines: "more lines follow on the next page",
};

static FR: Words = Words {
    convention: "CONVENTION SUR LE COMMERCE INTERNATIONAL DES ESPÈCES DE FAUNE ET DE FLORE SAUVAGES MENACÉES D'EXTINCTION",
    number: "PERMIS/CERTIFICAT N°",
    kinds: ["EXPORTATION", "RÉEXPORTATION", "IMPORTATION", "AUTRE"],
    original: "Original",
    b2: "2. Date limite de validité",
    b3: "3. Importateur (nom et adresse)",
    b3a: "3a. Pays d'importation",
    b4: "4. Exportateur/réexportateur (nom, adresse et pays)",
    b5: "5. Conditions spéciales",
    b5a: "5a. But de la transaction",
    b5b: "5b. N° du timbre de sécurité",
    b6: "6. Nom, adresse, sceau/cachet national et pays de l'organe de gestion",
    b78: "7./8. Nom scientifique (genre et espèce) et nom commun de l'animal ou de la plante",
    b9: "9. Description des spécimens, y compris les marques ou numéros d'identification",
    b10: "10. Annexe n° et source",
    b11: "11. Quantité (y compris l'unité)",
    b11a: "11a. Total exporté/Quota",
    b12: "12. Pays d'origine · Permis n° · Date",
    b12a: "12a. Pays de la dernière réexportation · Certificat n° · Date",
    b12b: "12b. N° de l'établissement ou date d'acquisition",
    b13: "13. Permis/certificat délivré par : lieu, date",
    b13_seal: "Timbre de sécurité, signature et cachet officiel",
    b14: "14. Visa d'exportation : bloc, quantité, port d'exportation, date",
    b15: "15. N° du connaissement/de la lettre de transport aérien",
    block: "Bloc",
    management_authority: "Organe de gestion de",
    seal_caption: "Sceau signé : vérifiable hors ligne avec les clés de /.well-known/ecites-keys.json",
    cancelled: "ANNULÉ",
    replaced: "REMPLACÉ",
    lost: "PERDU OU VOLÉ",
    not_issued: "NON DÉLIVRÉ",
    replaces: "Remplace le permis",
    more_lines: "d'autres lignes suivent à la page suivante",
};

static ES: Words = Words {
    convention: "CONVENCIÓN SOBRE EL COMERCIO INTERNACIONAL DE ESPECIES AMENAZADAS DE FAUNA Y FLORA SILVESTRES",
    number: "PERMISO/CERTIFICADO N°",
    kinds: ["EXPORTACIÓN", "REEXPORTACIÓN", "IMPORTACIÓN", "OTRO"],
    original: "Original",
    b2: "2. Válido hasta el",
    b3: "3. Importador (nombre y dirección)",
    b3a: "3a. País de importación",
    b4: "4. Exportador/reexportador (nombre, dirección y país)",
    b5: "5. Condiciones especiales",
    b5a: "5a. Propósito de la transacción",
    b5b: "5b. N° del sello de seguridad",
    b6: "6. Nombre, dirección, sello nacional y país de la Autoridad Administrativa",
    b78: "7./8. Nombre científico (género y especie) y nombre común del animal o de la planta",
    b9: "9. Descripción de los especímenes, incluidas las marcas o números de identificación",
    b10: "10. Apéndice N° y origen",
    b11: "11. Cantidad (incluida la unidad)",
    b11a: "11a. Total exportado/Cupo",
    b12: "12. País de origen · Permiso N° · Fecha",
    b12a: "12a. País de la última reexportación · Certificado N° · Fecha",
    b12b: "12b. N° de la operación o fecha de adquisición",
    b13: "13. Permiso/certificado expedido por: lugar, fecha",
    b13_seal: "Sello de seguridad, firma y sello oficial",
    b14: "14. Refrendo de la exportación: bloque, cantidad, puerto de exportación, fecha",
    b15: "15. N° del conocimiento de embarque/guía aérea",
    block: "Bloque",
    management_authority: "Autoridad Administrativa de",
    seal_caption: "Sello firmado: se verifica sin conexión con las claves de /.well-known/ecites-keys.json",
    cancelled: "ANULADO",
    replaced: "REEMPLAZADO",
    lost: "PERDIDO O ROBADO",
    not_issued: "NO EXPEDIDO",
    replaces: "Reemplaza el permiso",
    more_lines: "siguen más líneas en la página siguiente",
};

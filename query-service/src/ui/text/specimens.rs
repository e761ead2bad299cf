//! The words of the admin's specimens page (the signatures and stamp other Parties and customs
//! compare box 13 of a paper permit with).

use super::Lang;

pub struct SpecimensText {
    pub title: &'static str,
    pub intro: &'static str,
    pub none: &'static str,
    pub kind: &'static str,
    pub signature: &'static str,
    pub stamp: &'static str,
    pub signatory: &'static str,
    pub name: &'static str,
    pub image: &'static str,
    pub image_hint: &'static str,
    pub recorded: &'static str,
    pub withdrawn: &'static str,
    pub in_force: &'static str,
    pub record_signature: &'static str,
    pub record_stamp: &'static str,
    pub withdraw: &'static str,
    pub published: &'static str,
}

pub fn of(lang: Lang) -> &'static SpecimensText {
    match lang {
        Lang::En => &EN,
        Lang::Fr => &FR,
        Lang::Es => &ES,
    }
}

pub static EN: SpecimensText = SpecimensText {
    title: "Specimens of signatures and stamp",
    intro: "The signatures of the signatories and the Management Authority's stamp, as other Parties and customs compare them with box 13 of a paper permit. Each is recorded in the ledger with who and when, and published with the seal keys. A permit prints the ones in force when it was issued.",
    none: "No specimen recorded.",
    kind: "Kind",
    signature: "Signature",
    stamp: "Stamp",
    signatory: "Signatory",
    name: "Name printed with it",
    image: "Image (PNG, at most 96 KB)",
    image_hint: "A scan on a white background, cropped close.",
    recorded: "Recorded",
    withdrawn: "Withdrawn",
    in_force: "in force",
    record_signature: "Record a signature",
    record_stamp: "Record the stamp",
    withdraw: "Withdraw",
    published: "Published list",
};

pub static FR: SpecimensText = SpecimensText {
    title: "Spécimens de signatures et du cachet",
    intro: "Les signatures des signataires et le cachet de l'Organe de gestion, tels que les autres Parties et les douanes les comparent à la case 13 d'un permis papier. Chacun est inscrit au registre avec qui et quand, et publié avec les clés du sceau. Un permis imprime ceux en vigueur à sa délivrance.",
    none: "Aucun spécimen inscrit.",
    kind: "Nature",
    signature: "Signature",
    stamp: "Cachet",
    signatory: "Signataire",
    name: "Nom imprimé avec",
    image: "Image (PNG, 96 Ko au plus)",
    image_hint: "Un scan sur fond blanc, recadré au plus près.",
    recorded: "Inscrit",
    withdrawn: "Retiré",
    in_force: "en vigueur",
    record_signature: "Inscrire une signature",
    record_stamp: "Inscrire le cachet",
    withdraw: "Retirer",
    published: "Liste publiée",
};

pub static ES: SpecimensText = SpecimensText {
    title: "Especímenes de firmas y del sello",
    intro: "Las firmas de los signatarios y el sello de la Autoridad Administrativa, tal como otras Partes y las aduanas los comparan con la casilla 13 de un permiso en papel. Cada uno se inscribe en el registro con quién y cuándo, y se publica con las claves del sello. Un permiso imprime los vigentes cuando se expidió.",
    none: "Ningún espécimen inscrito.",
    kind: "Tipo",
    signature: "Firma",
    stamp: "Sello",
    signatory: "Signatario",
    name: "Nombre impreso con él",
    image: "Imagen (PNG, 96 KB como máximo)",
    image_hint: "Un escaneo sobre fondo blanco, recortado.",
    recorded: "Inscrito",
    withdrawn: "Retirado",
    in_force: "vigente",
    record_signature: "Inscribir una firma",
    record_stamp: "Inscribir el sello",
    withdraw: "Retirar",
    published: "Lista publicada",
};

//! The words of the national entries section of the admin's measures page (suspensions,
//! reservations and Appendix III listings the Party records itself).

use super::Lang;

pub struct EntriesText {
    pub title: &'static str,
    pub intro: &'static str,
    pub none: &'static str,
    pub kind: &'static str,
    pub suspension: &'static str,
    pub reservation: &'static str,
    pub appendix_iii: &'static str,
    pub source: &'static str,
    pub national: &'static str,
    pub notification: &'static str,
    pub starts_on: &'static str,
    pub ends_on: &'static str,
    pub until_lifted: &'static str,
    pub entry_id: &'static str,
    pub country: &'static str,
    pub applies_to_import: &'static str,
    pub every_taxon: &'static str,
    pub appendix: &'static str,
    pub annotation: &'static str,
    pub record_suspension: &'static str,
    pub record_reservation: &'static str,
    pub record_listing: &'static str,
    pub lift: &'static str,
    pub lifted_on: &'static str,
}

pub fn of(lang: Lang) -> &'static EntriesText {
    match lang {
        Lang::En => &EN,
        Lang::Fr => &FR,
        Lang::Es => &ES,
    }
}

pub static EN: EntriesText = EntriesText {
    title: "Suspensions, reservations and Appendix III listings",
    intro: "Entries the Management Authority records itself, from a Notification to the Parties or a national act, when the Species+ data does not hold them yet. The rules apply them like the Species+ data.",
    none: "No national entry.",
    kind: "Kind",
    suspension: "Trade suspension",
    reservation: "Reservation",
    appendix_iii: "Appendix III listing",
    source: "Source",
    national: "National entry",
    notification: "Notification or act",
    starts_on: "From",
    ends_on: "Until",
    until_lifted: "until lifted",
    entry_id: "Reference",
    country: "Country whose trade is suspended",
    applies_to_import: "Imports into that country (else exports from it)",
    every_taxon: "every taxon",
    appendix: "Appendix reserved",
    annotation: "Annotation",
    record_suspension: "Record a suspension",
    record_reservation: "Record a reservation",
    record_listing: "Record an Appendix III listing",
    lift: "Lift",
    lifted_on: "No longer applies from",
};

pub static FR: EntriesText = EntriesText {
    title: "Suspensions, réserves et inscriptions à l'Annexe III",
    intro: "Entrées que l'organe de gestion enregistre lui-même, d'après une notification aux Parties ou un acte national, lorsque les données Species+ ne les contiennent pas encore. Les règles les appliquent comme les données Species+.",
    none: "Aucune entrée nationale.",
    kind: "Nature",
    suspension: "Suspension du commerce",
    reservation: "Réserve",
    appendix_iii: "Inscription à l'Annexe III",
    source: "Origine",
    national: "Entrée nationale",
    notification: "Notification ou acte",
    starts_on: "Du",
    ends_on: "Au",
    until_lifted: "jusqu'à sa levée",
    entry_id: "Référence",
    country: "Pays dont le commerce est suspendu",
    applies_to_import: "Importations dans ce pays (sinon exportations depuis ce pays)",
    every_taxon: "tous les taxons",
    appendix: "Annexe faisant l'objet de la réserve",
    annotation: "Annotation",
    record_suspension: "Enregistrer une suspension",
    record_reservation: "Enregistrer une réserve",
    record_listing: "Enregistrer une inscription à l'Annexe III",
    lift: "Lever",
    lifted_on: "Ne s'applique plus à compter du",
};

pub static ES: EntriesText = EntriesText {
    title: "Suspensiones, reservas e inclusiones en el Apéndice III",
    intro: "Entradas que la Autoridad Administrativa registra por sí misma, a partir de una notificación a las Partes o de un acto nacional, cuando los datos de Species+ aún no las contienen. Las reglas las aplican como los datos de Species+.",
    none: "Ninguna entrada nacional.",
    kind: "Tipo",
    suspension: "Suspensión del comercio",
    reservation: "Reserva",
    appendix_iii: "Inclusión en el Apéndice III",
    source: "Origen",
    national: "Entrada nacional",
    notification: "Notificación o acto",
    starts_on: "Desde",
    ends_on: "Hasta",
    until_lifted: "hasta que se levante",
    entry_id: "Referencia",
    country: "País cuyo comercio se suspende",
    applies_to_import: "Importaciones a ese país (si no, exportaciones desde él)",
    every_taxon: "todos los taxones",
    appendix: "Apéndice objeto de la reserva",
    annotation: "Anotación",
    record_suspension: "Registrar una suspensión",
    record_reservation: "Registrar una reserva",
    record_listing: "Registrar una inclusión en el Apéndice III",
    lift: "Levantar",
    lifted_on: "Deja de aplicarse a partir del",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_and_spanish_say_every_entry_in_their_language() {
        let words = |t: &EntriesText| {
            vec![
                t.title,
                t.intro,
                t.none,
                t.kind,
                t.suspension,
                t.reservation,
                t.appendix_iii,
                t.source,
                t.national,
                t.notification,
                t.starts_on,
                t.ends_on,
                t.until_lifted,
                t.entry_id,
                t.country,
                t.applies_to_import,
                t.every_taxon,
                t.appendix,
                t.record_suspension,
                t.record_reservation,
                t.record_listing,
                t.lift,
                t.lifted_on,
            ]
        };
        for other in [&FR, &ES] {
            for (en, translated) in words(&EN).into_iter().zip(words(other)) {
                assert_ne!(en, translated, "left in English");
            }
        }
    }
}

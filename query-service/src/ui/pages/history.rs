//! The permit as it stood after one event of its timeline: the timeline's recorded payloads up
//! to that version folded with the projector's own view logic (`PermitView::apply`), so the
//! past state is computed exactly as the current one was. Clearly labelled as historical.

use super::home::status_class;
use super::*;
use ecites_events::audit::VerifiedEvent;
use ecites_events::envelope::Envelope;
use ecites_events::hash::EventHash;
use ecites_projector::read_models::permit_view::PermitView;

pub(in crate::ui) async fn permit_at(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    Path((_, id, version)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let result = async {
        let version: u64 = version
            .parse()
            .map_err(|_| ApiError::NotFound("no such version".into()))?;
        let events = &timeline_events(&ui, &ctx, &id).await?;
        let upto: Vec<&Value> = events
            .iter()
            .filter(|e| e["version"].as_u64().is_some_and(|v| v <= version))
            .collect();
        if upto.len() as u64 != version || version == 0 {
            return Err(ApiError::NotFound("no such version".into()));
        }
        let last = upto
            .last()
            .ok_or_else(|| ApiError::NotFound("no such version".into()))?;
        let view = fold(&id, ctx.party, &upto)?;
        let at = At {
            id: &id,
            last,
            events: events.len() as u64,
        };
        Ok(history_body(&ui, &ctx, lang, &view, &at))
    }
    .await;
    done(&ui, &ctx, lang, result)
}

/// The view after `events` (in version order), folded as the projector folds them.
fn fold(id: &str, party: PartyCode, events: &[&Value]) -> Result<Value, ApiError> {
    let permit_id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound("no such permit".into()))?;
    let up = ecites_events::payloads::upcasters();
    let mut view = PermitView::new(permit_id, party.to_string());
    for e in events {
        let ev = verified(id, party, e).ok_or_else(|| unreadable(e))?;
        view.apply(&ev, &up).map_err(|err| {
            ApiError::Io(std::io::Error::other(format!(
                "event {} of the timeline does not fold: {err}",
                txt(&e["version"])
            )))
        })?;
    }
    serde_json::to_value(&view).map_err(|e| ApiError::Io(std::io::Error::other(e)))
}

fn unreadable(e: &Value) -> ApiError {
    ApiError::Io(std::io::Error::other(format!(
        "event {} of the timeline cannot be read back",
        txt(&e["version"])
    )))
}

/// A timeline row as the event it records. The projector verified its signature when it
/// stored the row (`signature_verified`); the row does not keep the event id (the fold does
/// not read it). The payload is read at the schema version it was recorded with and lifted by
/// the ledger's upcasters, exactly as the projector read it.
fn verified(id: &str, party: PartyCode, e: &Value) -> Option<VerifiedEvent> {
    let envelope = json!({
        "event_id": Uuid::nil(),
        "party": party.as_str(),
        "aggregate_type": "permit",
        "aggregate_id": id,
        "version": e["version"],
        "event_type": e["event_type"],
        "schema_version": e["schema_version"].as_u64().unwrap_or(1),
        "occurred_at": e["occurred_at"],
        "actor": {"user_id": e["actor_id"], "role": e["actor_role"], "party": party.as_str()},
        "command_id": e["command_id"],
        "correlation_id": e["command_id"],
        "prev_hash": e["prev_hash"],
        "payload": e["payload"],
    });
    // Through text: the payload is kept as raw JSON, which reads only from text.
    let envelope: Envelope = serde_json::from_str(&envelope.to_string()).ok()?;
    Some(VerifiedEvent {
        sequence: e["sequence"].as_u64()?,
        hash: EventHash::try_from(txt(&e["hash"])).ok()?,
        envelope,
    })
}

/// Which point of which permit's timeline a historical page shows.
struct At<'a> {
    id: &'a str,
    /// The timeline row of the last event folded.
    last: &'a Value,
    /// How many events the timeline has.
    events: u64,
}

fn history_body(ui: &Ui, ctx: &Ctx, lang: Lang, v: &Value, at: &At<'_>) -> (String, Markup) {
    let (t, tt) = (text(lang), trader_text(lang));
    let (id, last) = (at.id, at.last);
    let status = txt(&v["status"]);
    let version = txt(&last["version"]);
    let n = last["version"].as_u64().unwrap_or(0);
    let step = |to: u64| ui.url(&format!("/{}/permits/{id}/at/{to}", ctx.party));
    let lines = v["content"]["lines"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let currency = txt(&v["fee"]["currency"]);
    let party = ctx.party;
    let body = html! {
        div #historical.banner.warn-banner role="note" data-version=(version) {
            (tt.historical) " " strong { (version) } " · " (t.event_type(&txt(&last["event_type"])))
            " · " (when(&last["occurred_at"])) " · " (txt(&last["actor_id"]))
        }
        p { (tt.historical_hint) }
        dl.facts {
            dt { (t.status) } dd { span #status class=(format!("badge {}", status_class(&status))) data-status=(status) { (t.status(&status)) } }
            @if v["permit_number"].is_string() {
                dt { (t.number) } dd { (txt(&v["permit_number"])) }
                dt { (t.valid_until) } dd { (txt(&v["valid_until"])) }
            }
            @if v["assigned_officer"].is_string() {
                dt { (t.assigned_officer) } dd { (txt(&v["assigned_officer"])) }
            }
            @if let Some(fee) = v["fee"]["minor_units"].as_i64() {
                dt { (t.fee) } dd { (money(fee, &currency)) }
                dt { (t.paid) } dd #history-paid { (money(v["paid_minor"].as_i64().unwrap_or(0), &currency)) }
            }
            @if v["reason"].is_string() {
                dt { (t.reason) } dd { (txt(&v["reason"])) }
            }
        }
        h2 { (t.lines) }
        div.scroll tabindex="0" {
            table.list #history-lines {
                thead { tr {
                    th scope="col" { (t.line) }
                    th scope="col" { (t.species) }
                    th scope="col" { (t.source) " / " (t.purpose) " / " (t.term) }
                    th scope="col" { (t.quantity) }
                } }
                tbody {
                    @for l in lines {
                        tr {
                            td { (txt(&l["line_no"])) }
                            td { i { (txt(&l["scientific_name"])) } }
                            td { (txt(&l["source"])) " / " (txt(&l["purpose"])) " / " (txt(&l["term"])) }
                            td.num { (txt(&l["quantity"])) " " (txt(&l["unit"])) }
                        }
                    }
                }
            }
        }
        @if let Some(c) = v["conditions"].as_array().filter(|c| !c.is_empty()) {
            h2 { (t.conditions) }
            ul { @for c in c { li { (txt(c)) } } }
        }
        nav.history-steps aria-label=(tt.historical_title) {
            @if n > 1 { a #previous-event rel="prev" href=(step(n - 1)) { "← " (tt.previous_event) } }
            @if n < at.events { a #next-event rel="next" href=(step(n + 1)) { (tt.next_event) " →" } }
        }
        p {
            a href=(ui.url(&format!("/{party}/permits/{id}/timeline"))) { (t.timeline) }
            " · "
            a href=(ui.url(&format!("/{party}/permits/{id}"))) { (tt.current_state) }
        }
    };
    (
        format!("{} · {} {version}", tt.historical_title, t.version),
        body,
    )
}

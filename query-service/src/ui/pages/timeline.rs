//! The auditor's timeline, with each event's verification.

use super::permit::signatures_ok;
use super::*;

pub(in crate::ui) async fn timeline(
    State(ui): State<Arc<Ui>>,
    Extension(ctx): Extension<Ctx>,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    let (t, tt) = (text(lang), trader_text(lang));
    let result = async {
        let events = &timeline_events(&ui, &ctx, &id).await?;
        let all_ok = signatures_ok(events);
        let body = html! {
            p #timeline-summary class=(if all_ok { "banner good" } else { "banner bad" }) role="status" {
                (if all_ok { t.all_events_verified } else { t.some_events_not_verified })
            }
            div.scroll tabindex="0" {
                table.list #timeline {
                    thead { tr {
                        th scope="col" { (t.version) }
                        th scope="col" { (t.event) }
                        th scope="col" { (t.time) }
                        th scope="col" { (t.actor) }
                        th scope="col" { (t.signature) }
                        th scope="col" { (t.chain) }
                        th scope="col" { (t.hash) }
                        th scope="col" { (tt.state_after) }
                    } }
                    tbody {
                        @for e in events {
                            @let sig = e["signature_verified"] == true;
                            @let chain = e["chain_linked"] == true;
                            tr data-event=(txt(&e["event_type"])) data-verified=(sig && chain) {
                                td { (txt(&e["version"])) }
                                td { (t.event_type(&txt(&e["event_type"]))) }
                                td { (when(&e["occurred_at"])) }
                                td { (txt(&e["actor_id"])) " (" (t.role(&txt(&e["actor_role"]))) ")" }
                                td class=(if sig { "good" } else { "bad" }) { (if sig { t.verified } else { t.not_verified }) }
                                td class=(if chain { "good" } else { "bad" }) { (if chain { t.linked } else { t.not_linked }) }
                                td { code title=(txt(&e["hash"])) { (txt(&e["hash"]).get(..12).unwrap_or("")) "…" } }
                                td { a.at href=(ui.url(&format!("/{}/permits/{id}/at/{}", ctx.party, txt(&e["version"])))) { (tt.as_it_stood) } }
                            }
                        }
                    }
                }
            }
            p { a href=(ui.url(&format!("/{}/permits/{id}", ctx.party))) { (t.back_to_permit) } }
        };
        Ok((t.timeline.to_string(), body))
    }
    .await;
    done(&ui, &ctx, lang, result)
}

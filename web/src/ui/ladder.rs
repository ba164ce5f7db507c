//! The ladder of a TLS item: the connection summary and explanations, then one rung per record
//! on the sender's side; a rung selects the record in the tree and the hex view.

use mtlskit_inspect::ItemBody;
use mtlskit_inspect::Report;
use yew::prelude::*;

use super::shared::{use_dispatch, Shared};
use crate::ladder::{self, Side};
use crate::state::Action;

/// Rungs shown before "show all".
const RUNGS: usize = 200;

#[derive(Properties, PartialEq)]
pub struct LadderProps {
    pub id: u32,
    pub pos: usize,
    pub report: Shared<Report>,
}

#[function_component(Ladder)]
pub fn ladder_view(props: &LadderProps) -> Html {
    let dispatch = use_dispatch();
    let all = use_state(|| false);
    let Some(item) = props.report.items.get(props.pos) else {
        return html! {};
    };
    let ItemBody::Tls(tls) = &item.body else {
        return html! {};
    };
    let key = (props.id, item.index);
    let head = ladder::headline(tls);
    let rungs = ladder::rungs(tls);
    let shown = if *all {
        rungs.len()
    } else {
        rungs.len().min(RUNGS)
    };
    // A rung selects the tree's record that starts at its offset (the whole record lights up),
    // else the deepest field holding its first byte.
    let select = |offset: usize| {
        let dispatch = dispatch.clone();
        let record = item.tree.iter().position(|n| n.span.offset == offset);
        Callback::from(move |_: MouseEvent| {
            if let Some(d) = &dispatch {
                d.dispatch(match record {
                    Some(i) => Action::Select(key, vec![i]),
                    None => Action::SelectByte(key, offset),
                });
            }
        })
    };
    let onall = {
        let all = all.clone();
        Callback::from(move |_: MouseEvent| all.set(true))
    };

    html! {
        <section class="ladder" aria-label="Handshake ladder">
            <p class="ladder-head">{ &head.text }</p>
            if !head.notes.is_empty() {
                <ul class="ladder-notes">
                    { for head.notes.iter().map(|n| html! { <li>{ n }</li> }) }
                </ul>
            }
            <div class="ladder-cols" aria-hidden="true"><span>{ "client" }</span><span>{ "server" }</span></div>
            <ol class="rungs">
                { for rungs.iter().take(shown).map(|r| {
                    let side = match r.side {
                        Side::Client => "from-client",
                        Side::Server => "from-server",
                        Side::Unknown => "from-unknown",
                    };
                    html! {
                        <li class={classes!("rung", side, r.encrypted.then_some("encrypted"))}>
                            <button onclick={select(r.offset)}>
                                <span class="rung-label">{ &r.label }</span>
                                <span class="rung-detail">{ &r.detail }</span>
                            </button>
                        </li>
                    }
                }) }
            </ol>
            if shown < rungs.len() {
                <button class="more" onclick={onall}>{ format!("show all {} records", rungs.len()) }</button>
            }
        </section>
    }
}

//! The ladder of a TLS item: the connection summary and explanations, then one rung per record
//! on the sender's side; a rung selects the record in the tree and the hex view, and the rung of
//! the record holding the selection is marked (also when it was selected from a byte). The
//! ladder is one Tab stop; the arrow keys move from rung to rung (`focus`).

use mtlskit_inspect::ItemBody;
use mtlskit_inspect::Report;
use yew::prelude::*;

use super::focus;
use super::shared::{use_dispatch, Shared};
use crate::ladder::{self, Rung, Side};
use crate::state::Action;

/// Rungs shown before "show all".
const RUNGS: usize = 200;

#[derive(Properties, PartialEq)]
pub struct LadderProps {
    pub id: u32,
    pub pos: usize,
    pub report: Shared<Report>,
    /// The item's selected field: the rung of the record holding it is marked.
    pub selected: Option<Vec<usize>>,
}

#[function_component(Ladder)]
pub fn ladder_view(props: &LadderProps) -> Html {
    let dispatch = use_dispatch();
    let all = use_state(|| false);
    let rungs_ref = use_node_ref();
    use_reveal(&rungs_ref, props.selected.clone());
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
    let record = |offset: usize| item.tree.iter().position(|n| n.span.offset == offset);
    let selected_record = props.selected.as_ref().and_then(|p| p.first().copied());
    let current = selected_record
        .and_then(|i| rungs.iter().position(|r| record(r.offset) == Some(i)))
        .unwrap_or(0);
    let select = |offset: usize| {
        let dispatch = dispatch.clone();
        let record = record(offset);
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
            <ol class="rungs" ref={rungs_ref} onkeydown={Callback::from(rung_keys)}>
                { for rungs.iter().take(shown).enumerate().map(|(i, r)| {
                    let selected = selected_record.is_some() && record(r.offset) == selected_record;
                    rung_html(r, selected, i == current, select(r.offset))
                }) }
            </ol>
            if shown < rungs.len() {
                <button class="more" onclick={onall}>{ format!("show all {} records", rungs.len()) }</button>
            }
        </section>
    }
}

/// One rung: a button on the sender's side, marked when its record holds the selection (and
/// "decrypted" when a key log opened it), and the ladder's Tab stop when `current`.
pub fn rung_html(r: &Rung, selected: bool, current: bool, onclick: Callback<MouseEvent>) -> Html {
    let side = match r.side {
        Side::Client => "from-client",
        Side::Server => "from-server",
        Side::Unknown => "from-unknown",
    };
    let class = classes!(
        "rung",
        side,
        r.encrypted.then_some("encrypted"),
        r.decrypted.then_some("decrypted"),
        selected.then_some("selected")
    );
    html! {
        <li {class}>
            <button {onclick} aria-current={selected.then_some("true")}
                tabindex={if current { "0" } else { "-1" }}>
                <span class="rung-label">{ &r.label }</span>
                <span class="rung-detail">{ &r.detail }</span>
                if r.decrypted {
                    <span class="rung-mark">{ "decrypted" }</span>
                }
            </button>
        </li>
    }
}

/// The ladder's keys: one Tab stop, arrows move from rung to rung, Enter selects.
pub fn rung_keys(e: KeyboardEvent) {
    focus::list_keys(&e, ".rung button");
}

/// Keeps the selected rung in view in the ladder's scroll box, and the ladder's Tab stop on it,
/// when the selection changes.
#[hook]
pub fn use_reveal(rungs: &NodeRef, selected: Option<Vec<usize>>) {
    let rungs = rungs.clone();
    use_effect_with(selected, move |_| {
        if let Some(list) = rungs.cast::<web_sys::Element>() {
            focus::reveal_in(&list, ".rung.selected");
            focus::one_stop(&list, ".rung button", ".rung.selected button");
        }
    });
}

//! A capture item: one section per TLS connection with its header (who, the summary, the client
//! certificate, the CAs the server accepts, alerts with their meaning), the handshake diagnosis
//! first, and the client/server ladder of both directions; a rung selects its record in the
//! tree and the hex view (file offsets).
//!
//! Captures can hold hundreds of connections: the first [`CONNECTIONS`] are listed until the
//! user asks for all, and a connection's ladder is open at first only when there are few.

use mtlskit_inspect::capture::model::Connection;
use mtlskit_inspect::ItemBody;
use mtlskit_inspect::Report;
use yew::prelude::*;

use super::ladder::{rung_html, rung_keys, use_reveal};
use super::shared::{use_dispatch, Shared};
use crate::capture::{self, CertStatus};
use crate::state::Action;

/// Connections listed before "show all".
const CONNECTIONS: usize = 20;
/// Ladders open at first when the capture has at most this many connections.
const OPEN_LADDERS: usize = 3;
/// Rungs shown before "show all".
const RUNGS: usize = 200;

#[derive(Properties, PartialEq)]
pub struct CaptureProps {
    pub id: u32,
    pub pos: usize,
    pub report: Shared<Report>,
    /// The item's selected field: its connection's ladder marks the record holding it.
    pub selected: Option<Vec<usize>>,
}

#[function_component(CaptureView)]
pub fn capture_view(props: &CaptureProps) -> Html {
    let all = use_state(|| false);
    let Some(item) = props.report.items.get(props.pos) else {
        return html! {};
    };
    let ItemBody::Capture(cap) = &item.body else {
        return html! {};
    };
    let total = cap.connections.len();
    let shown = if *all { total } else { total.min(CONNECTIONS) };
    let onall = {
        let all = all.clone();
        Callback::from(move |_: MouseEvent| all.set(true))
    };
    html! {
        <section class="connections" aria-label="TLS connections">
            { for cap.connections.iter().take(shown).enumerate().map(|(index, _)| html! {
                <ConnectionView key={index} id={props.id} pos={props.pos} {index}
                    report={props.report.clone()} open={total <= OPEN_LADDERS}
                    selected={props.selected.as_ref()
                        .filter(|p| p.first() == Some(&index)).cloned()} />
            }) }
            if shown < total {
                <button class="more" onclick={onall}>{ format!("show all {total} connections") }</button>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ConnectionProps {
    id: u32,
    pos: usize,
    index: usize,
    report: Shared<Report>,
    open: bool,
    /// The item's selected field (the tree path: connection, direction, record, ...).
    selected: Option<Vec<usize>>,
}

#[function_component(ConnectionView)]
fn connection_view(props: &ConnectionProps) -> Html {
    let open = use_state(|| props.open);
    let item = props.report.items.get(props.pos);
    let conn = item.and_then(|i| match &i.body {
        ItemBody::Capture(cap) => cap.connections.get(props.index),
        _ => None,
    });
    let (Some(item), Some(conn)) = (item, conn) else {
        return html! {};
    };
    let h = capture::header(conn);
    let status = match h.status {
        CertStatus::Sent => "cert-sent",
        CertStatus::Missing => "cert-missing",
        CertStatus::Rejected => "cert-rejected",
        CertStatus::Unknown => "cert-unknown",
        CertStatus::NotAsked => "cert-not-asked",
    };
    let ontoggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let findings = capture::findings(conn);

    html! {
        <section class="connection" data-connection={props.index.to_string()}
            aria-label={h.title.clone()}>
            <h3 class="conn-title">{ &h.title }</h3>
            <p class="conn-summary">{ &h.summary }</p>
            if !findings.is_empty() {
                <ul class="findings" aria-label="Diagnosis">
                    { for findings.iter().map(|f| html! {
                        <li class={classes!("finding", f.severity.as_str())}>
                            <span class="severity">{ f.severity.as_str() }</span>
                            <code class="code">{ f.code.as_str() }</code>
                            <span class="message">{ &f.message }</span>
                        </li>
                    }) }
                </ul>
            }
            <p class={classes!("client-cert", status)}>
                <span class="label">{ "Client certificate: " }</span>{ &h.certificate }
            </p>
            if !h.accepted_cas.is_empty() {
                <div class="accepted-cas">
                    <span class="label">{ "CAs the server accepts client certificates from:" }</span>
                    <ul>{ for h.accepted_cas.iter().map(|ca| html! { <li><code>{ ca.as_str() }</code></li> }) }</ul>
                </div>
            }
            if !h.alerts.is_empty() {
                <div class="alerts">
                    <span class="label" id={format!("alerts-{}-{}", props.pos, props.index)}>{ "Alerts:" }</span>
                    <ul aria-labelledby={format!("alerts-{}-{}", props.pos, props.index)}>
                        { for h.alerts.iter().map(|a| html! {
                            <li>
                                <span class="alert-name">{ &a.text }</span>
                                if let Some(m) = &a.meaning {
                                    <span class="alert-meaning">{ ": " }{ m }</span>
                                }
                            </li>
                        }) }
                    </ul>
                </div>
            }
            if !h.gaps.is_empty() {
                <ul class="gaps">{ for h.gaps.iter().map(|g| html! { <li>{ g }</li> }) }</ul>
            }
            <button class="ladder-toggle" aria-expanded={open.to_string()} onclick={ontoggle}>
                { if *open { "hide the ladder" } else { "show the ladder" } }
            </button>
            if *open {
                <ConnectionLadder id={props.id} key_index={item.index} pos={props.pos}
                    index={props.index} report={props.report.clone()}
                    selected={props.selected.clone()} />
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct LadderProps {
    id: u32,
    /// The item's index in its input (with `id`, the state's key of the item).
    key_index: usize,
    pos: usize,
    index: usize,
    report: Shared<Report>,
    selected: Option<Vec<usize>>,
}

#[function_component(ConnectionLadder)]
fn connection_ladder(props: &LadderProps) -> Html {
    let dispatch = use_dispatch();
    let all = use_state(|| false);
    let rungs_ref = use_node_ref();
    use_reveal(&rungs_ref, props.selected.clone());
    let Some(item) = props.report.items.get(props.pos) else {
        return html! {};
    };
    let conn: Option<&Connection> = match &item.body {
        ItemBody::Capture(cap) => cap.connections.get(props.index),
        _ => None,
    };
    let Some(conn) = conn else {
        return html! {};
    };
    let rungs = capture::rungs(conn, props.index, &item.tree);
    let selected = props.selected.as_deref().unwrap_or_default();
    let current = rungs
        .iter()
        .position(|r| !selected.is_empty() && selected.starts_with(&r.path))
        .unwrap_or(0);
    let shown = if *all {
        rungs.len()
    } else {
        rungs.len().min(RUNGS)
    };
    let key = (props.id, props.key_index);
    let select = |path: Vec<usize>| {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(d) = &dispatch {
                d.dispatch(Action::Select(key, path.clone()));
            }
        })
    };
    let onall = {
        let all = all.clone();
        Callback::from(move |_: MouseEvent| all.set(true))
    };
    html! {
        <section class="ladder" aria-label="Handshake ladder">
            <div class="ladder-cols" aria-hidden="true"><span>{ "client" }</span><span>{ "server" }</span></div>
            <ol class="rungs" ref={rungs_ref} onkeydown={Callback::from(rung_keys)}>
                { for rungs.into_iter().take(shown).enumerate().map(|(i, r)| {
                    let marked = !selected.is_empty() && selected.starts_with(&r.path);
                    rung_html(&r.rung, marked, i == current, select(r.path))
                }) }
            </ol>
            if shown < conn.client_to_server.records.len() + conn.server_to_client.records.len() {
                <button class="more" onclick={onall}>{ "show all records" }</button>
            }
        </section>
    }
}

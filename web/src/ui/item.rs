//! One item of a card: its summary line (a button that opens it) and, when open, its facts,
//! findings (first), links to other cards, the field tree and the hex view.

use mtlskit_inspect::ItemBody;
use mtlskit_inspect::{Report, Timestamp};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::browser;
use super::capture::CaptureView;
use super::hex::HexView;
use super::ladder::Ladder;
use super::shared::{use_dispatch, Shared};
use super::tree::TreeView;
use crate::export;
use crate::links::{self, Link};
use crate::state::Action;
use crate::summary::{self, Standing};

#[derive(Properties, PartialEq)]
pub struct ItemProps {
    /// The input's id.
    pub id: u32,
    /// The item's position in the report.
    pub pos: usize,
    pub report: Shared<Report>,
    pub links: Shared<Vec<Link>>,
    pub now: Timestamp,
    pub open: bool,
    pub selected: Option<Vec<usize>>,
    pub hex_row: usize,
    /// Non-zero (and new) when the page asks for this item's selected field to be shown
    /// (a diagnosis finding's "show bytes").
    pub reveal: u32,
}

#[function_component(ItemView)]
pub fn item_view(props: &ItemProps) -> Html {
    let dispatch = use_dispatch();
    let node = use_node_ref();
    {
        let node = node.clone();
        use_effect_with(props.reveal, move |&reveal| {
            let field = node
                .cast::<web_sys::Element>()
                .filter(|_| reveal != 0)
                .and_then(|li| {
                    li.query_selector(".tree button.field.selected")
                        .ok()
                        .flatten()
                });
            if let Some(field) = field {
                let options = web_sys::ScrollIntoViewOptions::new();
                options.set_block(web_sys::ScrollLogicalPosition::Center);
                field.scroll_into_view_with_scroll_into_view_options(&options);
                if let Some(el) = field.dyn_ref::<web_sys::HtmlElement>() {
                    let _ = el.focus();
                }
            }
        });
    }
    let Some(item) = props.report.items.get(props.pos) else {
        return html! {};
    };
    let key = (props.id, item.index);
    let line = summary::summarize(item, props.now);
    let ontoggle = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(d) = &dispatch {
                d.dispatch(Action::Toggle(key));
            }
        })
    };
    let validity_class = line.validity.as_ref().map(|v| match v.standing {
        Standing::Valid => "valid",
        Standing::Soon => "soon",
        Standing::Expired | Standing::NotYetValid => "invalid",
    });
    let class = classes!(
        "item",
        summary::severity_class(line.worst),
        props.open.then_some("open")
    );
    let worst = line.worst.map_or("no findings", |s| s.as_str());

    html! {
        <li {class} ref={node} data-kind={item.body.kind()} data-index={item.index.to_string()}>
            <button class="summary" aria-expanded={props.open.to_string()} onclick={ontoggle}>
                <span class="dot" title={worst} aria-label={worst}></span>
                <span class="kind">{ &line.kind }</span>
                <span class="name">{ &line.name }</span>
                if let Some(v) = &line.validity {
                    <span class={classes!("validity", validity_class)}>{ &v.text }</span>
                }
                if let Some(k) = &line.key {
                    <span class="key">{ k }</span>
                }
                if !item.findings.is_empty() {
                    <span class="count">{ format!("{} finding{}", item.findings.len(),
                        if item.findings.len() == 1 { "" } else { "s" }) }</span>
                }
            </button>
            if props.open {
                <Details id={props.id} pos={props.pos} report={props.report.clone()}
                    links={props.links.clone()} selected={props.selected.clone()}
                    hex_row={props.hex_row} />
            }
        </li>
    }
}

#[derive(Properties, PartialEq)]
struct DetailsProps {
    id: u32,
    pos: usize,
    report: Shared<Report>,
    links: Shared<Vec<Link>>,
    selected: Option<Vec<usize>>,
    hex_row: usize,
}

#[function_component(Details)]
fn details(props: &DetailsProps) -> Html {
    let dispatch = use_dispatch();
    let Some(item) = props.report.items.get(props.pos) else {
        return html! {};
    };
    let key = (props.id, item.index);
    let facts = summary::facts(&item.body);
    let pem = export::pem_of(item);
    let oncopy_pem = {
        let dispatch = dispatch.clone();
        let label = export::pem_label(item);
        Callback::from(move |_: MouseEvent| {
            let (Some(d), Some(pem)) = (dispatch.clone(), pem.clone()) else {
                return;
            };
            wasm_bindgen_futures::spawn_local(async move {
                let message = browser::copy(pem, &format!("{label} as PEM")).await;
                d.dispatch(Action::Notice(Some(message)));
            });
        })
    };
    let select_span = |offset: usize| {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(d) = &dispatch {
                d.dispatch(Action::SelectByte(key, offset));
            }
        })
    };
    let mine = links::of_item(&props.links, props.pos);
    // A capture's connections show their own findings; the item lists the file's.
    let findings: Vec<&mtlskit_inspect::Finding> = match &item.body {
        ItemBody::Capture(cap) => crate::capture::file_findings(item, cap),
        _ => item.findings.iter().collect(),
    };
    let name = |pos: usize| {
        props.report.items.get(pos).map_or_else(String::new, |i| {
            let s = summary::summarize(i, Timestamp(0));
            format!("{} #{} ({})", i.source, i.index, s.name)
        })
    };

    html! {
        <div class="details">
            <div class="actions">
                if export::pem_of(item).is_some() {
                    <button class="copy-pem" onclick={oncopy_pem}>{ "Copy as PEM" }</button>
                }
                <span class="encoding">{ format!("found as {}", item.encoding) }</span>
            </div>
            if !findings.is_empty() {
                <ul class="findings" aria-label="Findings">
                    { for findings.iter().map(|f| html! {
                        <li class={classes!("finding", f.severity.as_str())}>
                            <span class="severity">{ f.severity.as_str() }</span>
                            <code class="code">{ f.code.as_str() }</code>
                            <span class="message">{ &f.message }</span>
                            if let Some(span) = f.span {
                                <button class="show-bytes" onclick={select_span(span.offset)}>{ "show bytes" }</button>
                            }
                        </li>
                    }) }
                </ul>
            }
            if !mine.is_empty() {
                <ul class="links" aria-label="Links to other inputs">
                    { for mine.iter().map(|l| html! { <li>{ link_text(l, props.pos, &name) }</li> }) }
                </ul>
            }
            if matches!(item.body, ItemBody::Tls(_)) {
                <Ladder id={props.id} pos={props.pos} report={props.report.clone()}
                    selected={props.selected.clone()} />
            }
            if matches!(item.body, ItemBody::Capture(_)) {
                <CaptureView id={props.id} pos={props.pos} report={props.report.clone()}
                    selected={props.selected.clone()} />
            }
            <dl class="facts">
                { for facts.iter().map(|(k, v)| html! {
                    <div class="fact" data-field={k.clone()}><dt>{ k }</dt><dd>{ v }</dd></div>
                }) }
            </dl>
            <div class="fields">
                <TreeView id={props.id} pos={props.pos} report={props.report.clone()}
                    selected={props.selected.clone()} />
                <HexView id={props.id} pos={props.pos} report={props.report.clone()}
                    selected={props.selected.clone()} first_row={props.hex_row} />
            </div>
        </div>
    }
}

/// A link as a sentence, from the point of view of the item at `me`.
fn link_text(link: &Link, me: usize, name: &dyn Fn(usize) -> String) -> String {
    match link {
        Link::KeyMatches { key, holder } if *key == me => {
            format!("✓ this key belongs to {}", name(*holder))
        }
        Link::KeyMatches { key, .. } => format!("✓ its private key is {}", name(*key)),
        Link::KeyUnmatched { .. } => {
            "✗ this key belongs to none of the certificates and CSRs given".to_string()
        }
        Link::IssuedBy { cert, issuer } if *cert == me => {
            format!("✓ issued by {} (its signature verifies)", name(*issuer))
        }
        Link::IssuedBy { cert, .. } => format!("✓ issued {}", name(*cert)),
        Link::SameNameOtherKey { cert, ca } if *cert == me => format!(
            "✗ {} has its issuer's name but not its key (same name, different key): not its \
             issuer; drop the CA that signed it",
            name(*ca)
        ),
        Link::SameNameOtherKey { cert, .. } => format!(
            "✗ same name, different key: named as the issuer of {}, but its key did not sign it",
            name(*cert)
        ),
        Link::IssuerMissing { issuer, .. } => {
            format!("? its issuer {issuer} is not among the inputs: drop the CA to link it")
        }
    }
}

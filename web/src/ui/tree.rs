//! The field tree: every decoded field with its name and value; selecting one highlights its
//! bytes in the hex view. A WAI-ARIA tree: one Tab stop, arrow keys move, Enter selects; a field
//! selected elsewhere (a byte, a rung, a finding) is scrolled into the tree's box.
//!
//! One click handler for the whole tree reads the `data-path` of the field clicked, so a tree of
//! thousands of fields does not make thousands of closures. Lists longer than [`LIST`] show
//! their first entries and a button for the rest.

use std::collections::BTreeSet;

use mtlskit_inspect::{Node, Report};
use wasm_bindgen::JsCast;
use web_sys::Element;
use yew::prelude::*;

use super::browser;
use super::focus;
use super::shared::{use_dispatch, Shared};
use crate::export;
use crate::state::Action;

/// Children shown before "show all".
const LIST: usize = 50;

#[derive(Properties, PartialEq)]
pub struct TreeProps {
    pub id: u32,
    pub pos: usize,
    pub report: Shared<Report>,
    pub selected: Option<Vec<usize>>,
}

#[function_component(TreeView)]
pub fn tree_view(props: &TreeProps) -> Html {
    let dispatch = use_dispatch();
    // Paths of the long lists the user expanded.
    let expanded = use_state(BTreeSet::<Vec<usize>>::new);
    let tree_ref = use_node_ref();
    // A field selected from the hex view, the ladder or a finding is scrolled into the tree's box.
    {
        let tree_ref = tree_ref.clone();
        use_effect_with(props.selected.clone(), move |_| {
            if let Some(tree) = tree_ref.cast::<Element>() {
                focus::reveal_in(&tree, "button.field.selected");
                focus::one_stop(&tree, "button.field", "button.field.selected");
            }
        });
    }
    let Some(item) = props.report.items.get(props.pos) else {
        return html! {};
    };
    let key = (props.id, item.index);
    let onclick = {
        let dispatch = dispatch.clone();
        let expanded = expanded.clone();
        let report = props.report.clone();
        let pos = props.pos;
        Callback::from(move |e: MouseEvent| {
            let Some(target) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
                return;
            };
            let Some(d) = &dispatch else { return };
            if let Ok(Some(el)) = target.closest("[data-more]") {
                let path = parse_path(&el.get_attribute("data-more").unwrap_or_default());
                let mut set = (*expanded).clone();
                set.insert(path);
                expanded.set(set);
            } else if let Ok(Some(el)) = target.closest("[data-copy]") {
                let path = parse_path(&el.get_attribute("data-copy").unwrap_or_default());
                let Some(item) = report.items.get(pos) else {
                    return;
                };
                let Some(node) = Node::at_path(&item.tree, &path) else {
                    return;
                };
                let value = export::field_value(item, node);
                let what = format!("value of {}", node.name);
                let d = d.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let message = browser::copy(value, &what).await;
                    d.dispatch(Action::Notice(Some(message)));
                });
            } else if let Ok(Some(el)) = target.closest("[data-path]") {
                let path = parse_path(&el.get_attribute("data-path").unwrap_or_default());
                d.dispatch(Action::Select(key, path));
            }
        })
    };
    let selected = props.selected.clone().unwrap_or_default();
    // The tree's one Tab stop: the selected field, else the first.
    let current = if selected.is_empty() {
        vec![0]
    } else {
        selected.clone()
    };
    let ctx = Ctx {
        selected: &selected,
        current: &current,
        expanded: &expanded,
    };
    if item.tree.is_empty() {
        return html! { <div class="tree empty">{ "No decoded fields." }</div> };
    }
    html! {
        <div class="tree" role="tree" aria-label="Decoded fields" ref={tree_ref} {onclick}
            onkeydown={Callback::from(tree_keys)}>
            { nodes(&item.tree, &mut Vec::new(), &ctx) }
        </div>
    }
}

/// The WAI-ARIA tree keys: up and down move through the fields shown, right to a field's first
/// child, left to its parent, Home and End to the first and last; Enter (the field's button)
/// selects.
fn tree_keys(e: KeyboardEvent) {
    const FIELD: &str = "button.field";
    let Some(tree) = e
        .current_target()
        .and_then(|t| t.dyn_into::<Element>().ok())
    else {
        return;
    };
    let Some(focus) = focus::active().filter(|a| a.matches(FIELD).unwrap_or(false)) else {
        return;
    };
    let item = focus.closest("[role=treeitem]").ok().flatten();
    let target = match e.key().as_str() {
        "ArrowRight" => item.and_then(|i| {
            i.query_selector(":scope > ul > li > button.field")
                .ok()
                .flatten()
        }),
        "ArrowLeft" => item
            .and_then(|i| i.parent_element())
            .and_then(|ul| ul.closest("[role=treeitem]").ok().flatten())
            .and_then(|p| p.query_selector(":scope > button.field").ok().flatten()),
        key => {
            if let Some(step) = focus::Step::of_key(key, 1) {
                if focus::step(&tree, FIELD, step) {
                    e.prevent_default();
                }
            }
            return;
        }
    };
    e.prevent_default();
    if let Some(target) = target {
        focus::hand_over(&focus, &target);
    }
}

struct Ctx<'a> {
    selected: &'a [usize],
    current: &'a [usize],
    expanded: &'a BTreeSet<Vec<usize>>,
}

fn nodes(list: &[Node], path: &mut Vec<usize>, ctx: &Ctx<'_>) -> Html {
    let all = ctx.expanded.contains(path) || list.len() <= LIST + 5;
    let shown = if all { list.len() } else { LIST };
    let more = list.len() - shown;
    let parent = join(path);
    html! {
        <ul role="group">
            { for list.iter().take(shown).enumerate().map(|(i, node)| {
                path.push(i);
                let html = node_html(node, path, ctx);
                path.pop();
                html
            }) }
            if more > 0 {
                <li><button class="more" data-more={parent}>{ format!("show {more} more") }</button></li>
            }
        </ul>
    }
}

fn node_html(node: &Node, path: &mut Vec<usize>, ctx: &Ctx<'_>) -> Html {
    let selected = ctx.selected == path.as_slice();
    let on_path = ctx.selected.starts_with(path);
    let class = classes!(
        "field",
        selected.then_some("selected"),
        on_path.then_some("on-path")
    );
    let p = join(path);
    html! {
        <li role="treeitem" aria-selected={selected.to_string()}>
            <button {class} data-path={p.clone()}
                tabindex={if ctx.current == path.as_slice() { "0" } else { "-1" }}
                title={format!("bytes {}..{}", node.span.offset, node.span.offset.saturating_add(node.span.len))}>
                <span class="fname">{ &node.name }</span>
                if !node.value.is_empty() {
                    <span class="fvalue">{ shorten(&node.value) }</span>
                }
            </button>
            if selected {
                <button class="copy-value" data-copy={p}>{ "copy value" }</button>
            }
            if !node.children.is_empty() {
                { nodes(&node.children, path, ctx) }
            }
        </li>
    }
}

/// Very long values (a modulus, a signature) are cut in the tree; "copy value" copies them whole.
fn shorten(value: &str) -> String {
    const MAX: usize = 120;
    match value.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &value[..at]),
        None => value.to_string(),
    }
}

fn join(path: &[usize]) -> String {
    path.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

fn parse_path(text: &str) -> Vec<usize> {
    text.split('.').filter_map(|p| p.parse().ok()).collect()
}

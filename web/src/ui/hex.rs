//! The hex view: offsets, bytes and ASCII, the selected field's bytes highlighted; clicking a
//! byte (or Enter on the focused byte: the bytes are one Tab stop, moved through with the arrow
//! keys) selects the deepest field that contains it. Long items are shown a page at a time.
//! Private key material is masked (`••`): it is on the user's machine, but not on their screen.

use mtlskit_inspect::{Node, Report};
use wasm_bindgen::JsCast;
use web_sys::Element;
use yew::prelude::*;

use super::focus;
use super::shared::{use_dispatch, Shared};
use crate::hexview::{self, Window, ROW};
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct HexProps {
    pub id: u32,
    pub pos: usize,
    pub report: Shared<Report>,
    pub selected: Option<Vec<usize>>,
    pub first_row: usize,
}

#[function_component(HexView)]
pub fn hex_view(props: &HexProps) -> Html {
    let dispatch = use_dispatch();
    let rows_ref = use_node_ref();
    let item = props.report.items.get(props.pos);
    let current = item.map_or(0, |i| {
        tab_stop(i, props.selected.as_deref(), props.first_row)
    });
    {
        let rows = rows_ref.clone();
        use_effect_with(current, move |current| {
            if let Some(rows) = rows.cast::<Element>() {
                focus::one_stop(&rows, ".hx .b", &format!(".hx .b[data-o=\"{current}\"]"));
            }
        });
    }
    let Some(item) = item else {
        return html! {};
    };
    let key = (props.id, item.index);
    let bytes = &item.bytes;
    let window = Window::new(props.first_row, bytes.len());
    let span = props
        .selected
        .as_ref()
        .and_then(|p| Node::at_path(&item.tree, p))
        .map(|n| n.span);
    let onclick = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: MouseEvent| {
            let offset = e
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|el| el.get_attribute("data-o"))
                .and_then(|o| o.parse::<usize>().ok());
            if let (Some(d), Some(offset)) = (&dispatch, offset) {
                d.dispatch(Action::SelectByte(key, offset));
            }
        })
    };
    // One Tab stop for the bytes: arrows move a byte or a row, Enter or Space selects the field
    // holding the focused byte.
    let onkeydown = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: KeyboardEvent| {
            let pressed = e.key();
            if pressed == "Enter" || pressed == " " {
                let offset = focus::active()
                    .filter(|a| a.class_list().contains("b"))
                    .and_then(|a| a.get_attribute("data-o"))
                    .and_then(|o| o.parse::<usize>().ok());
                if let (Some(d), Some(offset)) = (&dispatch, offset) {
                    e.prevent_default();
                    d.dispatch(Action::SelectByte(key, offset));
                }
                return;
            }
            let Some(rows) = e
                .current_target()
                .and_then(|t| t.dyn_into::<Element>().ok())
            else {
                return;
            };
            let row = isize::try_from(ROW).unwrap_or(16);
            if focus::Step::of_key(&pressed, row).is_some_and(|s| focus::step(&rows, ".hx .b", s)) {
                e.prevent_default();
            }
        })
    };
    let page = |row: Option<usize>| {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| {
            if let (Some(d), Some(row)) = (&dispatch, row) {
                d.dispatch(Action::HexRow(key, row));
            }
        })
    };
    let range = window.bytes(bytes.len());
    let in_span = |o: usize| span.is_some_and(|s| s.contains(o));
    let secrets = hexview::secret_spans(item);
    let secret = |o: usize| secrets.iter().any(|s| s.contains(o));

    html! {
        <div class="hex" aria-label="Bytes">
            if window.paged() {
                <div class="hex-pages">
                    <button disabled={window.previous().is_none()} onclick={page(window.previous())}>{ "◀ earlier" }</button>
                    <span>{ format!("rows {}–{} of {}", window.first + 1, window.end, window.total) }</span>
                    <button disabled={window.next().is_none()} onclick={page(window.next())}>{ "later ▶" }</button>
                </div>
            }
            <div class="hex-rows" ref={rows_ref} {onclick} {onkeydown}>
                { for bytes.get(range.clone()).unwrap_or_default().chunks(ROW).enumerate().map(|(r, row)| {
                    let start = range.start + r * ROW;
                    html! {
                        <div class="hex-row">
                            <span class="off">{ format!("{start:06x}") }</span>
                            <span class="hx">
                                { for row.iter().enumerate().map(|(i, &b)| {
                                    let o = start + i;
                                    let [hi, lo] = if secret(o) { ['•', '•'] } else { hexview::hex_byte(b) };
                                    html! { <span class={classes!("b", in_span(o).then_some("sel"))}
                                        data-o={o.to_string()}
                                        tabindex={if o == current { "0" } else { "-1" }}>{ hi }{ lo }</span> }
                                }) }
                            </span>
                            <span class="asc">
                                { for row.iter().enumerate().map(|(i, &b)| {
                                    let o = start + i;
                                    html! { <span class={classes!(in_span(o).then_some("sel"))}
                                        data-o={o.to_string()}>{ if secret(o) { '•' } else { hexview::ascii(b) } }</span> }
                                }) }
                            </span>
                        </div>
                    }
                }) }
            </div>
        </div>
    }
}

/// The byte that has the bytes' Tab stop: the selection's first byte when it is on the page
/// shown, else the page's first byte.
fn tab_stop(item: &mtlskit_inspect::Item, selected: Option<&[usize]>, first_row: usize) -> usize {
    let range = Window::new(first_row, item.bytes.len()).bytes(item.bytes.len());
    selected
        .and_then(|p| Node::at_path(&item.tree, p))
        .map(|n| n.span.offset)
        .filter(|o| range.contains(o))
        .unwrap_or(range.start)
}

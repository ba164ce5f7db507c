//! The hex view: offsets, bytes and ASCII, the selected field's bytes highlighted; clicking a
//! byte (or Enter on the focused byte: the bytes are one Tab stop, moved through with the arrow
//! keys) selects the deepest field that contains it. Long items are shown a page at a time.
//! Private key material is masked (`••`): it is on the user's machine, but not on their screen.
//!
//! A field of a record decrypted with a key log has two sets of bytes: the record's ciphertext
//! in the capture (the item's bytes) and the plaintext it decrypted to. Two toggle buttons
//! choose which the view shows; in the plaintext the field itself is highlighted, and a byte
//! selects the decrypted field that holds it.

use mtlskit_inspect::capture::model::Direction;
use mtlskit_inspect::capture::DecryptedDirection;
use mtlskit_inspect::{Item, ItemBody, Node, Report, Span};
use wasm_bindgen::JsCast;
use web_sys::Element;
use yew::prelude::*;

use super::focus;
use super::shared::{use_dispatch, Shared};
use crate::capture::{plain_selection, PlainSelection};
use crate::hexview::{self, Window, ROW};
use crate::state::{Action, ItemKey};

#[derive(Properties, PartialEq)]
pub struct HexProps {
    pub id: u32,
    pub pos: usize,
    pub report: Shared<Report>,
    pub selected: Option<Vec<usize>>,
    pub first_row: usize,
}

/// The selection's decrypted bytes, when it is a field of a decrypted record.
struct Plain<'a> {
    at: PlainSelection,
    direction: &'a DecryptedDirection,
}

fn plain_of<'a>(item: &'a Item, selected: Option<&[usize]>) -> Option<Plain<'a>> {
    let ItemBody::Capture(cap) = &item.body else {
        return None;
    };
    let at = plain_selection(&item.tree, selected?)?;
    let wanted = if at.direction == 0 {
        Direction::ClientToServer
    } else {
        Direction::ServerToClient
    };
    let direction = cap
        .decrypted
        .iter()
        .find(|d| d.connection == at.connection && d.direction == wanted)?;
    Some(Plain { at, direction })
}

impl Plain<'_> {
    /// The selected field's bytes in the plaintext.
    fn span(&self) -> Option<Span> {
        Node::at_path(&self.direction.tree, &self.at.rest).map(|n| n.span)
    }

    /// The item path of the decrypted field holding plaintext byte `offset`.
    fn path_at(&self, offset: usize) -> Vec<usize> {
        let mut path = self.at.prefix.clone();
        path.extend(Node::path_at(&self.direction.tree, offset));
        path
    }
}

#[function_component(HexView)]
pub fn hex_view(props: &HexProps) -> Html {
    let dispatch = use_dispatch();
    let rows_ref = use_node_ref();
    let show_plain = use_state(|| false);
    let plain_row = use_state(|| 0usize);
    let item = props.report.items.get(props.pos);
    let plain = item.and_then(|i| plain_of(i, props.selected.as_deref()));
    let showing_plain = *show_plain && plain.is_some();
    // The plaintext page follows the selection (the ciphertext's is the state's `hex_row`).
    let plain_target = plain.as_ref().and_then(|p| {
        let span = p.span()?;
        Some(hexview::row_in_view(
            span,
            *plain_row,
            p.direction.bytes.len(),
        ))
    });
    {
        let plain_row = plain_row.clone();
        use_effect_with(props.selected.clone(), move |_| {
            if let Some(row) = plain_target {
                plain_row.set(row);
            }
        });
    }
    let (bytes, first_row, span): (&[u8], usize, Option<Span>) = match (&plain, item) {
        (Some(p), _) if showing_plain => (&p.direction.bytes, *plain_row, p.span()),
        (_, Some(item)) => (
            &item.bytes,
            props.first_row,
            props
                .selected
                .as_ref()
                .and_then(|p| Node::at_path(&item.tree, p))
                .map(|n| n.span),
        ),
        (_, None) => (&[], 0, None),
    };
    let window = Window::new(first_row, bytes.len());
    let range = window.bytes(bytes.len());
    // One Tab stop for the bytes: the selection's first byte when it is on the page shown,
    // else the page's first byte.
    let current = span
        .map(|s| s.offset)
        .filter(|o| range.contains(o))
        .unwrap_or(range.start);
    {
        let rows = rows_ref.clone();
        use_effect_with((current, showing_plain), move |(current, _)| {
            if let Some(rows) = rows.cast::<Element>() {
                focus::one_stop(&rows, ".hx .b", &format!(".hx .b[data-o=\"{current}\"]"));
            }
        });
    }
    let Some(item) = item else {
        return html! {};
    };
    let key: ItemKey = (props.id, item.index);
    // What a byte selects: the deepest field holding it, in the bytes shown.
    let select_byte = {
        let dispatch = dispatch.clone();
        // In the plaintext, the decrypted tree is looked up at the click (not copied per render).
        let report = props.report.clone();
        let (pos, selected) = (props.pos, props.selected.clone().filter(|_| showing_plain));
        move |offset: usize| {
            let in_plain = selected.as_deref().and_then(|s| {
                let item = report.items.get(pos)?;
                Some(plain_of(item, Some(s))?.path_at(offset))
            });
            if let Some(d) = &dispatch {
                d.dispatch(match in_plain {
                    Some(path) => Action::Select(key, path),
                    None => Action::SelectByte(key, offset),
                });
            }
        }
    };
    let select_byte = std::rc::Rc::new(select_byte);
    let onclick = {
        let select_byte = select_byte.clone();
        Callback::from(move |e: MouseEvent| {
            let offset = e
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|el| el.get_attribute("data-o"))
                .and_then(|o| o.parse::<usize>().ok());
            if let Some(offset) = offset {
                select_byte(offset);
            }
        })
    };
    // Arrows move a byte or a row, Enter or Space selects the field holding the focused byte.
    let onkeydown = {
        let select_byte = select_byte.clone();
        Callback::from(move |e: KeyboardEvent| {
            let pressed = e.key();
            if pressed == "Enter" || pressed == " " {
                let offset = focus::active()
                    .filter(|a| a.class_list().contains("b"))
                    .and_then(|a| a.get_attribute("data-o"))
                    .and_then(|o| o.parse::<usize>().ok());
                if let Some(offset) = offset {
                    e.prevent_default();
                    select_byte(offset);
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
        let plain_row = plain_row.clone();
        Callback::from(move |_: MouseEvent| match row {
            Some(row) if showing_plain => plain_row.set(row),
            Some(row) => {
                if let Some(d) = &dispatch {
                    d.dispatch(Action::HexRow(key, row));
                }
            }
            None => {}
        })
    };
    let mode = |plain: bool| {
        let show_plain = show_plain.clone();
        Callback::from(move |_: MouseEvent| show_plain.set(plain))
    };
    let in_span = |o: usize| span.is_some_and(|s| s.contains(o));
    // Private key material is never in a capture's plaintext view; the item's own bytes are
    // masked where they hold it.
    let secrets = if showing_plain {
        Vec::new()
    } else {
        hexview::secret_spans(item)
    };
    let secret = |o: usize| secrets.iter().any(|s| s.contains(o));
    let label = if showing_plain {
        "Decrypted bytes"
    } else {
        "Bytes"
    };

    html! {
        <div class="hex" aria-label={label}>
            if let Some(p) = &plain {
                <div class="hex-mode" role="group" aria-label="Bytes of the decrypted record">
                    <button aria-pressed={(!showing_plain).to_string()} onclick={mode(false)}>
                        { "ciphertext" }
                    </button>
                    <button aria-pressed={showing_plain.to_string()} onclick={mode(true)}>
                        { "plaintext (decrypted)" }
                    </button>
                    <span class="hex-mode-note">{ format!("{} bytes decrypted in this direction",
                        p.direction.bytes.len()) }</span>
                </div>
            }
            if window.paged() {
                <div class="hex-pages">
                    <button disabled={window.previous().is_none()} onclick={page(window.previous())}>{ "◀ earlier" }</button>
                    <span>{ format!("rows {}–{} of {}", window.first + 1, window.end, window.total) }</span>
                    <button disabled={window.next().is_none()} onclick={page(window.next())}>{ "later ▶" }</button>
                </div>
            }
            <div class={classes!("hex-rows", showing_plain.then_some("plaintext"))} ref={rows_ref}
                {onclick} {onkeydown}>
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

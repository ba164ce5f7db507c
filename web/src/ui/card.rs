//! One card per input: its name and size, a remove button, the errors, and its items.
//!
//! An input nothing could be decoded from is an error card. An input with many items (a CA
//! bundle) lists one summary line per item; details render only for the items opened.

use mtlskit_inspect::{Report, Timestamp};
use yew::prelude::*;

use super::item::ItemView;
use super::shared::{use_dispatch, Shared};
use crate::links::Link;
use crate::state::{Action, Card};

#[derive(Properties, PartialEq)]
pub struct CardProps {
    pub card: Card,
    pub report: Shared<Report>,
    pub links: Shared<Vec<Link>>,
    pub now: Timestamp,
    /// Indexes (in this input) of the open items.
    pub open: Vec<usize>,
    pub selected: Vec<(usize, Vec<usize>)>,
    pub hex_rows: Vec<(usize, usize)>,
    /// The item (index in this input) to bring into view, and the request's count.
    pub reveal: Option<(usize, u32)>,
}

#[function_component(CardView)]
pub fn card_view(props: &CardProps) -> Html {
    let dispatch = use_dispatch();
    let card = &props.card;
    let onremove = {
        let id = card.id;
        Callback::from(move |_: MouseEvent| {
            if let Some(d) = &dispatch {
                d.dispatch(Action::Remove(id));
            }
        })
    };
    let count = match card.items.len() {
        0 => String::new(),
        1 => " · 1 item".to_string(),
        n => format!(" · {n} items"),
    };
    let class = classes!("card", card.failed().then_some("failed"));
    let errors = card
        .errors
        .iter()
        .filter_map(|&pos| props.report.errors.get(pos));

    html! {
        <article {class} data-source={card.name.clone()} aria-label={card.name.clone()}>
            <header class="card-head">
                <h2 class="source">{ &card.name }</h2>
                <span class="size">{ format!("{}{count}", bytes(card.size)) }</span>
                <button class="remove" onclick={onremove}
                    aria-label={format!("Remove {}", card.name)} title="Remove">{ "×" }</button>
            </header>
            if card.failed() {
                <p class="error-title">{ "Nothing in this input could be decoded." }</p>
            }
            if let Some(note) = &card.key_log {
                <p class="key-log">{ note }</p>
            }
            if !card.errors.is_empty() {
                <ul class="errors">
                    { for errors.map(|e| html! { <li class="error">{ &e.message }</li> }) }
                </ul>
            }
            if !card.items.is_empty() {
                <ul class="items">
                    { for card.items.iter().filter_map(|&pos| {
                        let item = props.report.items.get(pos)?;
                        let index = item.index;
                        let selected = props.selected.iter()
                            .find(|(i, _)| *i == index).map(|(_, p)| p.clone());
                        let hex_row = props.hex_rows.iter()
                            .find(|(i, _)| *i == index).map_or(0, |(_, r)| *r);
                        let reveal = props.reveal.filter(|(i, _)| *i == index).map_or(0, |(_, n)| n);
                        Some(html! {
                            <ItemView key={index} id={card.id} pos={pos} report={props.report.clone()}
                                links={props.links.clone()} now={props.now}
                                open={props.open.contains(&index)} {selected} {hex_row} {reveal} />
                        })
                    }) }
                </ul>
            }
        </article>
    }
}

fn bytes(n: usize) -> String {
    match n {
        0..=9_999 => format!("{n} bytes"),
        10_000..=9_999_999 => format!("{} KB", n / 1000),
        _ => format!("{} MB", n / 1_000_000),
    }
}

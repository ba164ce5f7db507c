//! The page: the state, drop anywhere, the toolbar, the cards, links and the verdict panel.

use std::rc::Rc;

use yew::prelude::*;

use super::browser;
use super::card::CardView;
use super::shared::{Dispatch, Shared};
use super::stream::StreamView;
use super::toolbar::Toolbar;
use super::verdict::Verdict;
use crate::links;
use crate::state::{Action, State};

/// The whole page: the toolbar, the drop zone, the cards and the verdict panel, over one
/// [`State`] behind `use_reducer`.
#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| State::new(browser::now()));
    let dispatch: Dispatch = state.dispatcher();
    let dragging = use_state(|| false);

    let ondragover = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if !*dragging {
                dragging.set(true);
            }
        })
    };
    let ondragleave = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            // Leaving for a child element is not leaving the page.
            if e.related_target().is_none() {
                dragging.set(false);
            }
        })
    };
    let ondrop = {
        let dragging = dragging.clone();
        let dispatch = dispatch.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            let Some(dt) = e.data_transfer() else { return };
            let files = dt
                .files()
                .map(|l| browser::files_of(&l))
                .unwrap_or_default();
            if !files.is_empty() {
                browser::read_and_add(files, dispatch.clone());
                return;
            }
            // Text dragged from another page or program: inspected like pasted text.
            match dt.get_data("text/plain") {
                Ok(text) if !text.trim().is_empty() => dispatch.dispatch(Action::DropText {
                    text,
                    now: browser::now(),
                }),
                _ => dispatch.dispatch(Action::Notice(Some(
                    "Nothing to inspect was dropped: drop files, or PEM, base64 or hex text."
                        .to_string(),
                ))),
            }
        })
    };

    let report = Shared(Rc::clone(&state.report));
    let all_links = Shared(Rc::new(links::links(&state.report)));
    let now = state.moment.timestamp();
    let inputs = state.cards.len() + state.streams.len();
    let items = state.item_count();
    let status = state.status();
    let class = classes!("page", dragging.then_some("dragging"));

    html! {
        <ContextProvider<Dispatch> context={dispatch}>
        <div {class} {ondragover} {ondragleave} {ondrop}>
            <header>
                <h1>{ "mtlskit inspector" }</h1>
                <p class="privacy">
                    { "Files never leave this browser: everything is decoded here, in \
                       WebAssembly, and the page makes no network requests." }
                </p>
            </header>
            <Toolbar report={report.clone()} moment={state.moment} has_inputs={inputs > 0} />
            <p class="status" role="status" aria-live="polite" data-items={items.to_string()}
               data-inputs={inputs.to_string()}>
                { status }
                if let Some(notice) = &state.notice {
                    <span class="notice">{ " · " }{ notice }</span>
                }
            </p>
            if items > 0 {
                <Verdict report={report.clone()} links={all_links.clone()}
                    choice={Shared(Rc::clone(&state.choice))} outcome={Shared(Rc::clone(&state.outcome))}
                    options={state.verdict.clone()} now={now} />
            }
            <main class="cards">
                { for state.streams.iter().map(|s| html! {
                    <StreamView key={format!("stream-{}", s.id)} card={Shared(Rc::clone(s))} />
                }) }
                { for state.cards.iter().map(|card| html! {
                    <CardView key={card.id} card={card.clone()} report={report.clone()}
                        links={all_links.clone()} now={now}
                        open={state.open.iter().filter(|k| k.0 == card.id).map(|k| k.1).collect::<Vec<_>>()}
                        selected={state.selected.iter().filter(|(k, _)| k.0 == card.id)
                            .map(|(k, p)| (k.1, p.clone())).collect::<Vec<_>>()}
                        hex_rows={state.hex_row.iter().filter(|(k, _)| k.0 == card.id)
                            .map(|(k, r)| (k.1, *r)).collect::<Vec<_>>()}
                        reveal={state.reveal.filter(|(k, _)| k.0 == card.id).map(|(k, n)| (k.1, n))} />
                }) }
            </main>
            <div class="drop-hint" aria-hidden="true">{ "Drop to inspect" }</div>
        </div>
        </ContextProvider<Dispatch>>
    }
}

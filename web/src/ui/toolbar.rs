//! The toolbar: pick files, paste text, choose the moment, export the report, clear all.

use mtlskit_inspect::Report;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::browser;
use super::shared::{use_dispatch, Shared};
use crate::export;
use crate::moment::{self, Moment};
use crate::state::Action;

#[derive(Properties, PartialEq)]
pub struct ToolbarProps {
    pub report: Shared<Report>,
    pub moment: Moment,
    pub has_inputs: bool,
}

#[function_component(Toolbar)]
pub fn toolbar(props: &ToolbarProps) -> Html {
    let Some(dispatch) = use_dispatch() else {
        return html! {};
    };
    let paste = use_node_ref();

    let onpick = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(files) = input.files() {
                browser::read_and_add(files, dispatch.clone());
            }
            input.set_value(""); // picking the same file again is a new input
        })
    };
    let onpaste = {
        let dispatch = dispatch.clone();
        let paste = paste.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(area) = paste.cast::<HtmlTextAreaElement>() else {
                return;
            };
            dispatch.dispatch(Action::Paste {
                text: area.value(),
                now: browser::now(),
            });
            area.set_value("");
        })
    };
    let onmoment = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            match moment::parse_input(&input.value()) {
                Some(t) => dispatch.dispatch(Action::SetMoment(Moment::At(t))),
                None => dispatch.dispatch(Action::SetMoment(Moment::Now(browser::now()))),
            }
        })
    };
    let onnow = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| {
            dispatch.dispatch(Action::SetMoment(Moment::Now(browser::now())));
        })
    };
    let oncopy = {
        let dispatch = dispatch.clone();
        let report = props.report.clone();
        Callback::from(move |_: MouseEvent| {
            let json = export::report_json(&report);
            let dispatch = dispatch.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let message = browser::copy(json, "JSON report").await;
                dispatch.dispatch(Action::Notice(Some(message)));
            });
        })
    };
    let ondownload = {
        let dispatch = dispatch.clone();
        let report = props.report.clone();
        Callback::from(move |_: MouseEvent| {
            let json = export::report_json(&report);
            let message = match browser::download("mtlskit-report.json", "application/json", &json)
            {
                Ok(()) => "Saved mtlskit-report.json.".to_string(),
                Err(e) => format!("Could not save the report: {e}"),
            };
            dispatch.dispatch(Action::Notice(Some(message)));
        })
    };
    let onclear = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::Clear))
    };
    let fixed = props.moment.is_fixed();

    html! {
        <section class="toolbar" aria-label="Inputs and export">
            <div class="group">
                <label class="button primary" for="pick">{ "Choose files…" }</label>
                <input id="pick" class="visually-hidden" type="file" multiple=true onchange={onpick} />
                <span class="hint">{ "or drop them anywhere" }</span>
            </div>
            <div class="group paste">
                <label for="paste-text" class="visually-hidden">{ "PEM, base64 or hex text" }</label>
                <textarea id="paste-text" ref={paste} rows="3" spellcheck="false"
                    placeholder="Paste PEM, base64 or hex here" />
                <button id="paste-go" onclick={onpaste}>{ "Inspect text" }</button>
            </div>
            <div class="group moment">
                <label for="moment">{ if fixed { "Evaluated at (UTC)" } else { "Evaluated now (UTC)" } }</label>
                <input id="moment" type="datetime-local" step="1"
                    value={props.moment.input_value()} onchange={onmoment} />
                if fixed {
                    <button id="moment-now" onclick={onnow}>{ "Use now" }</button>
                }
            </div>
            <div class="group export">
                <button id="copy-json" onclick={oncopy} disabled={!props.has_inputs}>{ "Copy JSON" }</button>
                <button id="download-json" onclick={ondownload} disabled={!props.has_inputs}>{ "Download JSON" }</button>
                <button id="clear" class="danger" onclick={onclear} disabled={!props.has_inputs}>{ "Clear all" }</button>
            </div>
        </section>
    }
}

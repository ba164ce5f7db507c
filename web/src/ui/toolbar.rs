//! The toolbar: pick files, paste text, choose the moment, export the report, clear all.

use mtlskit_inspect::Report;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::browser;
use super::focus;
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
    let picker = use_node_ref();
    let moment_field = use_node_ref();

    // The moment field is written by the page only when it does not have the focus: while a
    // person types a date, each segment typed fires `change` with a half-typed moment, and
    // writing the field back would reset what they are typing.
    {
        let moment_field = moment_field.clone();
        use_effect_with(props.moment, move |moment| {
            if let Some(input) = moment_field.cast::<HtmlInputElement>() {
                let focused = focus::active().is_some_and(|el| el == **input);
                if !focused && moment::parse_input(&input.value()) != Some(moment.timestamp()) {
                    input.set_value(&moment.input_value());
                }
            }
        });
    }

    let onchoose = {
        let picker = picker.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(input) = picker.cast::<HtmlInputElement>() {
                input.click();
            }
        })
    };
    let onpick = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let files = input.files().map(|l| browser::files_of(&l));
            input.set_value(""); // picking the same file again is a new input
            if let Some(files) = files.filter(|f| !f.is_empty()) {
                browser::read_and_add(files, dispatch.clone());
            }
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
                // Emptied (the field's clear button): back to the browser's clock. A value that
                // is not a moment yet (half typed) changes nothing.
                None if input.value().is_empty() => {
                    dispatch.dispatch(Action::SetMoment(Moment::Now(browser::now())));
                }
                None => {}
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
        Callback::from(move |_: MouseEvent| {
            super::stream::cancel_all();
            dispatch.dispatch(Action::Clear)
        })
    };
    let fixed = props.moment.is_fixed();

    html! {
        <section class="toolbar" aria-label="Inputs and export">
            <div class="group">
                <button id="choose" class="primary" onclick={onchoose}>{ "Choose files…" }</button>
                <input id="pick" ref={picker} type="file" multiple=true hidden=true tabindex="-1"
                    onchange={onpick} />
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
                <input id="moment" ref={moment_field} type="datetime-local" step="1"
                    onchange={onmoment} />
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

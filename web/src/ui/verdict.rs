//! The verdict panel: the diagnosis engine's answer for the dropped certificate (accepted or
//! rejected, the chain it built, its findings with their codes), the controls that say what to
//! check (client or server role, the host name, which certificate), and what the page can say
//! across all inputs (findings by severity, keys matched, issuers present).

use mtlskit_inspect::diagnose::{Role, Verdict as Answer};
use mtlskit_inspect::{Report, Severity, Timestamp};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::shared::{use_dispatch, Shared};
use crate::links::Link;
use crate::state::Action;
use crate::summary::{self, plural};
use crate::verdict::{Choice, Options, Outcome};

#[derive(Properties, PartialEq)]
pub struct VerdictProps {
    pub report: Shared<Report>,
    pub links: Shared<Vec<Link>>,
    pub choice: Shared<Choice>,
    pub outcome: Shared<Outcome>,
    pub options: Options,
    pub now: Timestamp,
}

#[function_component(Verdict)]
pub fn verdict(props: &VerdictProps) -> Html {
    let count = |s: Severity| {
        props
            .report
            .items
            .iter()
            .flat_map(|i| &i.findings)
            .filter(|f| f.severity == s)
            .count()
    };
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    let undecoded = props.report.errors.len();
    let links = &props.links;
    let n = |f: &dyn Fn(&Link) -> bool| links.iter().filter(|l| f(l)).count();
    let matched = n(&|l| matches!(l, Link::KeyMatches { .. }));
    let unmatched = n(&|l| matches!(l, Link::KeyUnmatched { .. }));
    let issued = n(&|l| matches!(l, Link::IssuedBy { .. }));
    let missing = n(&|l| {
        matches!(
            l,
            Link::IssuerMissing { .. } | Link::SameNameOtherKey { .. }
        )
    });
    let answer = match &*props.outcome {
        Outcome::Done(d) => Some(d.verdict),
        _ => None,
    };
    // The panel's colour is the verdict's; with nothing to check it is neutral (the lines
    // below still mark what is wrong across the inputs).
    let class = classes!(
        "verdict",
        match answer {
            Some(Answer::Rejected) => "sev-error",
            Some(Answer::Accepted) => "sev-ok",
            None => "sev-none",
        }
    );
    let line = |ok: bool, text: String| {
        html! { <li class={if ok { "ok" } else { "bad" }}>{ if ok { "✓ " } else { "✗ " } }{ text }</li> }
    };

    html! {
        <section {class} aria-label="Verdict">
            <Diagnosis report={props.report.clone()} choice={props.choice.clone()}
                outcome={props.outcome.clone()} options={props.options.clone()} now={props.now} />
            <h2>{ "Across all inputs" }</h2>
            <ul class="across">
                { line(errors == 0, format!("{} and {} in the findings", plural(errors, "error", "errors"), plural(warnings, "warning", "warnings"))) }
                if undecoded > 0 {
                    { line(false, format!("{} could not be decoded", plural(undecoded, "input or object", "inputs or objects"))) }
                }
                if matched + unmatched > 0 {
                    { line(unmatched == 0, format!("{}, {} without a certificate", plural(matched, "key–certificate match", "key–certificate matches"), plural(unmatched, "key", "keys"))) }
                }
                if issued + missing > 0 {
                    { line(missing == 0, format!("{} issued by a dropped CA, {missing} whose issuer is missing", plural(issued, "certificate", "certificates"))) }
                }
            </ul>
            <p class="checks">
                { "The verdict is the one mtlskit diagnose gives: every self-issued CA \
                   certificate dropped is trusted, the other CA certificates are intermediates, \
                   and the certificate chosen is checked at the moment above (chain and \
                   signatures, validity, CA constraints and path length, key usage and EKU for \
                   the role, the host name for servers, its private key if one was dropped)." }
            </p>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct DiagnosisProps {
    report: Shared<Report>,
    choice: Shared<Choice>,
    outcome: Shared<Outcome>,
    options: Options,
    now: Timestamp,
}

#[function_component(Diagnosis)]
fn diagnosis(props: &DiagnosisProps) -> Html {
    let dispatch = use_dispatch();
    let send = move |action: Action| {
        if let Some(d) = &dispatch {
            d.dispatch(action);
        }
    };
    let name = |pos: usize| {
        props.report.items.get(pos).map_or_else(String::new, |i| {
            let s = summary::summarize(i, Timestamp(0));
            format!("{} #{} ({})", i.source, i.index, s.name)
        })
    };
    let role = props.choice.role;
    let onrole = |r: Role| {
        let send = send.clone();
        Callback::from(move |_: MouseEvent| send(Action::SetRole(r)))
    };
    // Each key typed: the verdict follows the name as it is typed.
    let onhost = {
        let send = send.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            send(Action::SetHost(input.value()));
        })
    };
    let onbytes = |certificate: Option<String>, span: Option<mtlskit_inspect::Span>| {
        let send = send.clone();
        let target = certificate.zip(span);
        Callback::from(move |_: MouseEvent| {
            if let Some((certificate, span)) = target.clone() {
                send(Action::ShowBytes { certificate, span });
            }
        })
    };
    let candidates = &props.choice.candidates;
    let onleaf = {
        let send = send.clone();
        let keys: Vec<(String, usize)> = candidates
            .iter()
            .filter_map(|&p| props.report.items.get(p))
            .map(|i| (i.source.clone(), i.index))
            .collect();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let picked = usize::try_from(select.selected_index())
                .ok()
                .and_then(|i| keys.get(i).cloned());
            send(Action::ChooseLeaf(picked));
        })
    };
    let anchors = props.choice.anchors.len();
    let moment = props.now.to_rfc3339();
    let (word, state) = match &*props.outcome {
        Outcome::Done(d) if d.verdict == Answer::Accepted => ("accepted", "accepted"),
        Outcome::Done(_) => ("rejected", "rejected"),
        Outcome::Failed(_) => ("not checked", "failed"),
        Outcome::NoLeaf => ("nothing to check yet", "none"),
    };
    let as_what = match role {
        Role::Client => "a client certificate",
        Role::Server => "a server certificate",
    };

    html! {
        <div class="diagnosis" data-verdict={state}>
            <h2>{ "Verdict " }<span class={classes!("verdict-word", state)}>{ word }</span></h2>
            <div class="verdict-controls">
                <span class="role" role="group" aria-label="Check as">
                    <button class="role-client" aria-pressed={(role == Role::Client).to_string()}
                        onclick={onrole(Role::Client)}>{ "client" }</button>
                    <button class="role-server" aria-pressed={(role == Role::Server).to_string()}
                        onclick={onrole(Role::Server)}>{ "server" }</button>
                </span>
                if role == Role::Server {
                    <label>{ "host name " }
                        <input id="verdict-host" type="text" placeholder="api.example.com"
                            value={props.options.host.clone()} oninput={onhost} />
                    </label>
                }
                if candidates.len() > 1 {
                    <label>{ "certificate " }
                        <select id="verdict-leaf" onchange={onleaf}>
                            { for candidates.iter().map(|&p| html! {
                                <option selected={props.choice.leaf == Some(p)}>{ name(p) }</option>
                            }) }
                        </select>
                    </label>
                }
            </div>
            { match &*props.outcome {
                Outcome::NoLeaf => html! {
                    <p class="verdict-line">{ "Drop a certificate (and its CA, intermediates and \
                        private key) to check it the way a TLS peer would." }</p>
                },
                Outcome::Failed(e) => html! { <p class="verdict-line bad">{ e }</p> },
                Outcome::Done(d) => html! { <>
                    <p class="verdict-line">
                        { format!("{} checked as {as_what}{} against {} at {moment}",
                            props.choice.leaf.map(name).unwrap_or_default(),
                            if role == Role::Server && !props.options.host.trim().is_empty() {
                                format!(" for {}", props.options.host.trim())
                            } else { String::new() },
                            plural(anchors, "trusted CA", "trusted CAs")) }
                        if let Some(k) = props.choice.key {
                            { format!(", with the private key {}", name(k)) }
                        }
                    </p>
                    <ol class="chain" aria-label="Chain">
                        { for d.chain_subjects.iter().zip(&d.chain).map(|(s, sha)| html! {
                            <li><span class="subject">{ s.as_str() }</span>
                                <code class="sha" title={sha.clone()}>{ sha.get(..16).unwrap_or(sha) }{ "…" }</code></li>
                        }) }
                    </ol>
                    if !d.findings.is_empty() {
                        <ul class="findings" aria-label="Diagnosis findings">
                            { for d.findings.iter().map(|f| html! {
                                <li class={classes!("finding", f.severity.as_str())}>
                                    <span class="severity">{ f.severity.as_str() }</span>
                                    <code class="code">{ f.code.as_str() }</code>
                                    <span class="message">{ &f.message }</span>
                                    if f.span.is_some() && f.certificate.is_some() {
                                        <button class="show-bytes"
                                            onclick={onbytes(f.certificate.clone(), f.span)}>{ "show bytes" }</button>
                                    }
                                </li>
                            }) }
                        </ul>
                    }
                </> },
            } }
        </div>
    }
}

//! The verdict panel: what the page can say across all inputs today, and what it checks.
//!
//! Today: findings by severity, keys matched to certificates, certificates linked to dropped CAs
//! by name. The diagnosis engine (chain building, signatures, EKU, host names) fills this panel
//! when it lands in the inspect crate.

use mtlskit_inspect::{Report, Severity};
use yew::prelude::*;

use super::shared::Shared;
use crate::links::Link;
use crate::summary::plural;

#[derive(Properties, PartialEq)]
pub struct VerdictProps {
    pub report: Shared<Report>,
    pub links: Shared<Vec<Link>>,
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
    let missing = n(&|l| matches!(l, Link::IssuerMissing { .. }));
    let class = classes!(
        "verdict",
        if errors + unmatched + undecoded > 0 {
            "sev-error"
        } else if warnings + missing > 0 {
            "sev-warning"
        } else {
            "sev-ok"
        }
    );
    let line = |ok: bool, text: String| {
        html! { <li class={if ok { "ok" } else { "bad" }}>{ if ok { "✓ " } else { "✗ " } }{ text }</li> }
    };

    html! {
        <section {class} aria-label="Verdict">
            <h2>{ "Across all inputs" }</h2>
            <ul>
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
                { "What this panel checks today: the findings of each item at the chosen moment \
                   (validity, weak keys, signatures of CSRs), private keys against the \
                   certificates and CSRs given (by public key), and certificates against the \
                   dropped CA certificates (issuer name = CA subject). Full chain verification \
                   and the mTLS verdict come with the diagnosis engine." }
            </p>
        </section>
    }
}

//! Badges: one shields-style SVG per country and domain,
//! `badges/<cc>-<domain>.svg`, self-contained (no fonts or images fetched).

use super::markdown::{conformance_text, file_stem};
use super::model::*;

/// `badges/<cc>-<domain>.svg`.
pub fn file_name(report: &CountryReport, domain: &DomainRecord) -> String {
    format!(
        "badges/{}-{}.svg",
        file_stem(&report.country.code),
        file_stem(&domain.domain)
    )
}

/// Every badge of a report: (file name, SVG).
pub fn render_all(report: &CountryReport) -> Vec<(String, String)> {
    report
        .domains
        .iter()
        .map(|d| (file_name(report, d), render(report, d)))
        .collect()
}

/// The badge of one domain: "XX eid | conformant, 1 MUST waived".
pub fn render(report: &CountryReport, domain: &DomainRecord) -> String {
    svg(
        &format!("{} {}", report.country.code, domain.domain),
        &conformance_text(domain.verdict, domain.musts_waived),
        color(domain.verdict),
    )
}

/// The colour of a verdict, as shields.io names them.
pub fn color(v: Conformance) -> &'static str {
    match v {
        Conformance::Conformant => "#4c1",
        Conformance::ConformantWithWarnings => "#dfb317",
        Conformance::NonConformant => "#e05d44",
        Conformance::Inconclusive => "#fe7d37",
        Conformance::NotApplicable => "#9f9f9f",
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Approximate width in pixels of `s` in 11px Verdana (what shields measures with).
fn text_width(s: &str) -> u32 {
    let tenths: u32 = s
        .chars()
        .map(|c| match c {
            'i' | 'l' | 'j' | '|' | '!' | '\'' | '.' | ',' | ':' | ';' => 35,
            'f' | 't' | 'r' | ' ' | 'I' | '(' | ')' | '[' | ']' | '-' => 45,
            'm' | 'w' | 'M' | 'W' => 100,
            'A'..='Z' => 75,
            '0'..='9' => 70,
            _ => 65,
        })
        .sum();
    tenths.div_ceil(10)
}

/// A flat shields-style badge.
pub fn svg(label: &str, message: &str, color: &str) -> String {
    let lw = text_width(label) + 10;
    let mw = text_width(message) + 10;
    let total = lw + mw;
    let (label, message) = (escape(label), escape(message));
    let lx = lw * 5; // centres in tenths of a pixel, as shields writes them
    let mx = lw * 10 + mw * 5;
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" aria-label="{label}: {message}"><title>{label}: {message}</title><linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)"><rect width="{lw}" height="20" fill="#555"/><rect x="{lw}" width="{mw}" height="20" fill="{color}"/><rect width="{total}" height="20" fill="url(#s)"/></g><g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="110"><text x="{lx}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)">{label}</text><text x="{lx}" y="140" transform="scale(.1)">{label}</text><text x="{mx}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)">{message}</text><text x="{mx}" y="140" transform="scale(.1)">{message}</text></g></svg>
"##
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::markdown::tests::sample;

    #[test]
    fn a_badge_per_domain_says_the_verdict_and_waived_musts() {
        let badges = render_all(&sample());
        assert_eq!(badges.len(), 1);
        let (name, svg) = &badges[0];
        assert_eq!(name, "badges/xx-eid.svg");
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("<title>XX eid: non_conformant, 1 MUST waived</title>"));
        assert!(svg.contains("fill=\"#e05d44\""));
        assert!(!svg.contains("href"), "self-contained: {svg}");
    }

    #[test]
    fn text_is_escaped() {
        assert!(svg("a<b", "c&d", "#4c1").contains("a&lt;b: c&amp;d"));
    }
}

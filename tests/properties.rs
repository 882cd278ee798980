//! Properties of the loaders on arbitrary input (proptest): the YAML loader,
//! the suite decoder and the template parser and renderer never panic, and
//! every diagnostic they give points at a real place of the text (a line
//! that exists, a column within it or just past its end).

use conform::check::DecodeContext;
use conform::diag::{Diagnostic, Diagnostics, Loc, SourceFile};
use conform::schemas::SchemaRegistry;
use conform::template::{Found, Template, Vars};
use proptest::prelude::*;
use serde_json::{Value, json};

const SUITE: &str = r#"suite: p
domain: eid
title: A suite
requirements: [EID-OIDC-DISC-02]
cases:
  - id: one
    title: "One {{ profile.oidc.issuer }}"
    requirements: [EID-OIDC-DISC-02]
    steps:
      - request:
          url: "{{ profile.oidc.issuer | trim_end('/') }}/x"
          headers: { Accept: application/json }
        checks:
          - status: 200
          - json: { path: "$.a[*]", equals: [1, 2] }
          - body: { matches: "^x" }
        captures:
          a: "$.a"
"#;

/// The place is in the text: the line exists (or is the one after a final
/// line break) and the column is at most one past the line's last character.
fn assert_valid_loc(loc: &Loc, text: &str, what: &str) {
    let lines: Vec<&str> = text.split('\n').collect();
    assert!(loc.line >= 1, "{what}: line 0 at {loc}");
    assert!(loc.col >= 1, "{what}: column 0 at {loc}");
    let Some(line) = lines.get(loc.line as usize - 1) else {
        panic!(
            "{what}: line {} of a text of {} lines",
            loc.line,
            lines.len()
        );
    };
    let width = line.trim_end_matches('\r').chars().count() as u32;
    assert!(
        loc.col <= width + 1,
        "{what}: column {} on a line of {width} characters ({loc})",
        loc.col
    );
}

fn check_diag(d: &Diagnostic, text: &str) {
    if let Some(loc) = &d.loc {
        assert_valid_loc(loc, text, &d.message);
    }
    // Rendering never panics either (a caret under any column).
    let _ = d.render();
}

/// Parse and, when it parses, decode as a suite; check every diagnostic.
fn load_suite(text: &str) {
    let source = SourceFile::new("suites/p.yaml", text);
    match conform::yaml::parse(&source) {
        Err(d) => check_diag(&d, text),
        Ok(node) => {
            assert_valid_loc(&node.loc, text, "the root node");
            let mut diags = Diagnostics::default();
            let schemas = SchemaRegistry::new(&[], &mut diags);
            let cx = DecodeContext { schemas: &schemas };
            let _ = conform::suite::load::suite(&node, "suites/p.yaml", &cx, &mut diags);
            for d in &diags.0 {
                check_diag(d, text);
            }
        }
    }
}

/// Text that looks enough like YAML to reach deep into the parser.
fn yamlish() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("\n".to_string()),
            Just("  ".to_string()),
            Just("- ".to_string()),
            Just(": ".to_string()),
            Just("{".to_string()),
            Just("}".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just(", ".to_string()),
            Just("&a ".to_string()),
            Just("*a".to_string()),
            Just("!!str ".to_string()),
            Just("!tag ".to_string()),
            Just("\"".to_string()),
            Just("'".to_string()),
            Just("|\n".to_string()),
            Just(">-\n".to_string()),
            Just("\t".to_string()),
            Just("---\n".to_string()),
            Just("# c\n".to_string()),
            Just("? ".to_string()),
            Just("{{ profile.x }}".to_string()),
            "[a-z0-9_]{1,6}",
            "\\PC{1,3}",
        ],
        0..60,
    )
    .prop_map(|parts| parts.concat())
}

/// The valid suite with a few bytes replaced, inserted or removed.
fn mutated_suite() -> impl Strategy<Value = String> {
    let len = SUITE.len();
    proptest::collection::vec((0..len, 0u8..3, "\\PC{0,4}"), 1..6).prop_map(|edits| {
        let mut text = SUITE.to_string();
        for (at, op, insert) in edits {
            let mut at = at.min(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            match op {
                0 => text.insert_str(at, &insert),
                1 => {
                    let mut end = (at + insert.len().max(1)).min(text.len());
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                    text.replace_range(at..end, "");
                }
                _ => {
                    let mut end = (at + 1).min(text.len());
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                    text.replace_range(at..end, &insert);
                }
            }
        }
        text
    })
}

/// Variables for rendering: `profile.*` resolves to strings, numbers or
/// lists by the length of the path; `capture.*` is undefined.
struct SomeVars;

impl Vars for SomeVars {
    fn lookup(&self, path: &[String]) -> Result<Option<Found>, String> {
        Ok(match path.first().map(String::as_str) {
            Some("profile") => Some(Found {
                value: match path.len() % 3 {
                    0 => json!("https://idp.example/"),
                    1 => json!(42),
                    _ => json!(["a", "b"]),
                },
                secret: path.len() == 4,
            }),
            Some("item") => Some(Found {
                value: json!({"lang": "fi"}),
                secret: false,
            }),
            _ => None,
        })
    }
}

fn template_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("{{".to_string()),
            Just("}}".to_string()),
            Just("{".to_string()),
            Just("}".to_string()),
            Just(" | ".to_string()),
            Just(".".to_string()),
            Just("(".to_string()),
            Just(")".to_string()),
            Just("'".to_string()),
            Just("\"".to_string()),
            Just("profile".to_string()),
            Just("capture".to_string()),
            Just("item".to_string()),
            Just("trim_end('/')".to_string()),
            Just("default(1)".to_string()),
            Just("well_known('x')".to_string()),
            Just("urlencode".to_string()),
            Just("json".to_string()),
            "[a-z_]{1,5}",
            "\\PC{1,2}",
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_yaml_loader_never_panics_on_any_text(text in "\\PC{0,200}") {
        load_suite(&text);
    }

    #[test]
    fn the_yaml_loader_never_panics_on_yaml_like_text(text in yamlish()) {
        load_suite(&text);
    }

    #[test]
    fn a_damaged_suite_gives_diagnostics_at_real_places(text in mutated_suite()) {
        load_suite(&text);
    }

    #[test]
    fn templates_parse_and_render_without_panicking(text in template_text()) {
        let loc = Loc { file: "t.yaml".into(), line: 1, col: 1 };
        let mut diags = Diagnostics::default();
        let t = Template::parse(&Value::String(text.clone()), &loc, &mut diags);
        for d in &diags.0 {
            prop_assert_eq!(d.loc.as_ref(), Some(&loc));
        }
        for e in t.exprs() {
            let _ = e.namespace();
        }
        let _ = t.render(&SomeVars);
        // Text without `{{` is its own literal.
        if !text.contains("{{") && diags.is_empty() {
            prop_assert_eq!(t.render(&SomeVars).unwrap().value, Value::String(text));
        }
    }
}

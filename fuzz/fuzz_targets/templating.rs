//! Templating: any text parsed as a `{{ … }}` template (as a string, and
//! inside a list and a mapping), then rendered against variables of every
//! JSON type. Nothing may panic; a text without `{{` renders as itself.
#![no_main]

use conform::diag::{Diagnostics, Loc};
use conform::template::{Found, Template, Vars};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

/// `profile.*` gives a value whose type depends on the path's length,
/// `item` a mapping, `capture.*` nothing (undefined).
struct FuzzVars;

impl Vars for FuzzVars {
    fn lookup(&self, path: &[String]) -> Result<Option<Found>, String> {
        let value = match path.first().map(String::as_str) {
            Some("profile") => match path.len() % 6 {
                0 => json!("https://idp.example/a/"),
                1 => json!(-7.5),
                2 => json!(["x", 1, null]),
                3 => json!({"k": "v"}),
                4 => json!(true),
                _ => Value::Null,
            },
            Some("item") => json!({"lang": "fi", "n": 3}),
            Some("repeat") => json!(2),
            _ => return Ok(None),
        };
        Ok(Some(Found {
            value,
            secret: path.len() == 3,
        }))
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let loc = Loc {
        file: "suites/fuzz/x.yaml".into(),
        line: 1,
        col: 1,
    };
    for value in [Value::String(text.to_string()), json!([text, {"k": text}])] {
        let mut diags = Diagnostics::default();
        let t = Template::parse(&value, &loc, &mut diags);
        for e in t.exprs() {
            let _ = e.namespace();
        }
        let rendered = t.render(&FuzzVars);
        if !text.contains("{{") && diags.is_empty() && value.is_string() {
            assert_eq!(rendered.map(|r| r.value).ok(), Some(value.clone()));
        }
        for d in &diags.0 {
            let _ = d.render();
        }
    }
});

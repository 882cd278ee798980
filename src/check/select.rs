//! Selecting values in a JSON document: JSON Pointer (`/a/0`) or RFC 9535
//! JSONPath (`$.a[*]`), compiled once, each selected value with its location
//! as a JSON Pointer so that reports can say where.

use serde_json::Value;
use serde_json_path::JsonPath;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use crate::diag::{Diagnostic, Diagnostics, Loc};

#[derive(Debug, Clone)]
pub enum Selector {
    Pointer(String),
    /// Compiled once per text: a suite of a thousand cases asks `$.id` a thousand times.
    Path(Arc<JsonPath>, String),
}

impl Selector {
    /// Parse a selector written at `loc`.
    pub fn parse(text: &str, loc: &Loc, diags: &mut Diagnostics) -> Option<Selector> {
        if text.is_empty() || text.starts_with('/') {
            return Some(Selector::Pointer(text.to_string()));
        }
        if text.starts_with('$') {
            thread_local! {
                static COMPILED: RefCell<HashMap<String, Arc<JsonPath>>> = RefCell::new(HashMap::new());
            }
            if let Some(p) = COMPILED.with(|c| c.borrow().get(text).cloned()) {
                return Some(Selector::Path(p, text.to_string()));
            }
            return match JsonPath::parse(text) {
                Ok(p) => {
                    let p = Arc::new(p);
                    COMPILED.with(|c| c.borrow_mut().insert(text.to_string(), p.clone()));
                    Some(Selector::Path(p, text.to_string()))
                }
                Err(e) => {
                    diags.push(Diagnostic::new(format!("invalid JSONPath `{text}`: {e}")).at(loc));
                    None
                }
            };
        }
        diags.push(
            Diagnostic::new(format!("`{text}` is neither a JSON Pointer nor a JSONPath"))
                .at(loc)
                .with_help("a JSON Pointer starts with `/`, a JSONPath with `$`"),
        );
        None
    }

    pub fn text(&self) -> &str {
        match self {
            Selector::Pointer(p) => p,
            Selector::Path(_, t) => t,
        }
    }

    /// Whether the selector can select several values.
    pub fn is_multi(&self) -> bool {
        matches!(self, Selector::Path(..))
    }

    /// Every selected value with its JSON Pointer.
    pub fn select<'v>(&self, doc: &'v Value) -> Vec<(String, &'v Value)> {
        match self {
            Selector::Pointer(p) => doc
                .pointer(p)
                .map(|v| vec![(p.clone(), v)])
                .unwrap_or_default(),
            Selector::Path(path, _) => path
                .query_located(doc)
                .into_iter()
                .map(|n| (n.location().to_json_pointer(), n.node()))
                .collect(),
        }
    }
}

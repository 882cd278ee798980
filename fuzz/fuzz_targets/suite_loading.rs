//! Suite loading: any text through the positioned YAML loader and then the
//! suite, catalogue and profile decoders, and every diagnostic rendered.
//! Nothing may panic, and every diagnostic must point inside the text.
#![no_main]

use conform::check::DecodeContext;
use conform::diag::{Diagnostic, Diagnostics, SourceFile};
use conform::schemas::SchemaRegistry;
use libfuzzer_sys::fuzz_target;

fn check(d: &Diagnostic, text: &str) {
    if let Some(loc) = &d.loc {
        let lines: Vec<&str> = text.split('\n').collect();
        assert!(loc.line >= 1 && loc.col >= 1, "{loc}");
        let line = lines
            .get(loc.line as usize - 1)
            .unwrap_or_else(|| panic!("{loc}: past the last line"));
        let width = line.trim_end_matches('\r').chars().count() as u32;
        assert!(loc.col <= width + 1, "{loc}: past the end of its line");
    }
    let _ = d.render();
}

fuzz_target!(|data: &[u8]| {
    // The project reader refuses non-UTF-8 files before the loader sees them.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source = SourceFile::new("suites/fuzz/x.yaml", text);
    let node = match conform::yaml::parse(&source) {
        Ok(n) => n,
        Err(d) => return check(&d, text),
    };
    let mut diags = Diagnostics::default();
    // One empty registry for every input (building it per input is most of the time).
    static SCHEMAS: std::sync::OnceLock<SchemaRegistry> = std::sync::OnceLock::new();
    let schemas = SCHEMAS.get_or_init(|| SchemaRegistry::new(&[], &mut Diagnostics::default()));
    let cx = DecodeContext { schemas };
    let _ = conform::suite::load::suite(&node, "suites/fuzz/x.yaml", &cx, &mut diags);
    let _ = conform::suite::load::catalogue(&node, "suites/fuzz/requirements.yaml", &mut diags);
    let _ = conform::profile::decode(&node, "countries/xx.yaml", &mut diags);
    for d in &diags.0 {
        check(d, text);
    }
});

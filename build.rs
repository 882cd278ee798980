// Rebuild when the embedded folders change (include_dir does not tell cargo).
fn main() {
    for dir in ["suites", "schemas", "countries", "fixtures/sandbox"] {
        println!("cargo:rerun-if-changed={dir}");
    }
}

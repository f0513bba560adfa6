//! `openapi/<service>.json` must equal what the handlers generate; regenerate with
//! `cargo run -p groupbuy -- openapi --out openapi`.

use std::path::Path;

#[test]
fn x5_committed_openapi_documents_match_the_code() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi");
    for entry in groupbuy::SERVICES {
        let path = dir.join(format!("{}.json", entry.name));
        let committed = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} is missing", path.display()));
        let generated = groupbuy::openapi_json(entry).unwrap();
        assert!(
            committed == generated,
            "{} differs from the code: run `cargo run -p groupbuy -- openapi --out openapi` and commit it",
            path.display()
        );
        let document: serde_json::Value = serde_json::from_str(&generated).unwrap();
        assert!(document["openapi"].as_str().unwrap().starts_with("3.1"), "{}: OpenAPI 3.1", entry.name);
    }
}

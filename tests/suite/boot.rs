//! Every service of the suite starts on each backend and reports ready (PRODUCT.md X6, X7, X8).

use platform::{
    auth::Role,
    store_test,
    testing::{TestDatabase, settings, token},
};

store_test!(x8_every_service_boots_ready, |backend| async move {
    for entry in groupbuy::SERVICES {
        let Some(db) = TestDatabase::create(backend, entry.name) else { return };
        let app = (entry.build_with)(settings(&db.url)).await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        for path in ["/health/live", "/health/ready", "/docs/", "/openapi.json"] {
            let res = reqwest::get(format!("{base}{path}")).await.unwrap();
            assert_eq!(res.status(), 200, "{} {path}", entry.name);
        }
        let metrics = format!("{base}/metrics");
        assert_eq!(reqwest::get(&metrics).await.unwrap().status(), 401, "{} /metrics is not public", entry.name);
        let operator = token(Role::Operator, "op", None);
        let res = reqwest::Client::new().get(&metrics).bearer_auth(operator).send().await.unwrap();
        assert_eq!(res.status(), 200, "{} /metrics", entry.name);
    }
});

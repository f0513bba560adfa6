//! Runs the bidding service alone. `groupbuy up` runs it with the rest of the suite.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let file = std::env::var_os("GROUPBUY_CONFIG").map(std::path::PathBuf::from);
    let config = bidding::settings(file.as_deref())?;
    platform::telemetry::init(&config.service.telemetry);
    bidding::build(config).await?.run_until_stopped().await?;
    Ok(())
}

//! Object stores created on first use for `http(s)://` and `s3://` locations, so that a table
//! can be declared on a remote file without registering its store by hand.

use std::sync::Arc;

use datafusion::error::{DataFusionError, Result};
use datafusion::execution::object_store::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use object_store::ObjectStore;
use url::Url;

#[derive(Debug, Default)]
pub struct LazyStoreRegistry {
    inner: DefaultObjectStoreRegistry,
}

impl ObjectStoreRegistry for LazyStoreRegistry {
    fn register_store(&self, url: &Url, store: Arc<dyn ObjectStore>) -> Option<Arc<dyn ObjectStore>> {
        self.inner.register_store(url, store)
    }

    fn deregister_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        self.inner.deregister_store(url)
    }

    fn get_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        if let Ok(s) = self.inner.get_store(url) {
            return Ok(s);
        }
        let ext = |e: object_store::Error| DataFusionError::External(Box::new(e));
        let base = Url::parse(&format!("{}://{}", url.scheme(), &url[url::Position::BeforeHost..url::Position::AfterPort]))
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        let store: Arc<dyn ObjectStore> = match url.scheme() {
            "http" | "https" => Arc::new(
                object_store::http::HttpBuilder::new()
                    .with_url(base.as_str())
                    .with_client_options(object_store::ClientOptions::new().with_allow_http(true))
                    .build()
                    .map_err(ext)?,
            ),
            // Credentials, region and endpoint come from the usual AWS_* environment variables.
            "s3" => Arc::new(
                object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(url.host_str().unwrap_or_default())
                    .build()
                    .map_err(ext)?,
            ),
            _ => return self.inner.get_store(url),
        };
        self.inner.register_store(&base, Arc::clone(&store));
        Ok(store)
    }
}

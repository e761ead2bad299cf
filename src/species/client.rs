//! The live Species+ API v1 client: every `taxon_concepts` page, then the CITES legislation
//! (`scope=all`) of every active accepted taxon.
//!
//! The token travels in the `X-Authentication-Token` header and never in an error message. A
//! 429 or 5xx answer, a timeout or a refused connection is retried with exponential backoff
//! up to a cap (a `Retry-After` in seconds is honoured within the cap); a 401 stops at once,
//! since retrying a refused token only adds load.

use super::answers::SpeciesAnswers;
use super::Progress;
use ecites_command::reference::speciesplus::{CitesLegislation, NameStatus, TaxonConceptsPage};
use futures::{StreamExt, TryStreamExt};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

/// The public Species+ API.
pub const DEFAULT_BASE_URL: &str = "https://api.speciesplus.net/api/v1";

/// How transient failures are retried: the n-th retry waits `first_delay * 2^(n-1)`, never
/// more than `max_delay`, and the request fails after `max_attempts` attempts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub first_delay: Duration,
    pub max_delay: Duration,
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            max_attempts: 8,
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 for the first), given the server's
    /// `Retry-After`, if any.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        let backoff = self.first_delay.saturating_mul(factor);
        backoff
            .max(retry_after.unwrap_or_default())
            .min(self.max_delay)
    }
}

/// Where and how to reach Species+.
#[derive(Clone)]
pub struct ClientConfig {
    /// E.g. [`DEFAULT_BASE_URL`]; endpoints are appended to it.
    pub base_url: String,
    pub token: crate::config::Secret,
    /// Concepts per page; the API allows at most 500.
    pub per_page: u32,
    /// Legislation requests in flight at once.
    pub concurrency: usize,
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

impl ClientConfig {
    pub fn new(base_url: impl Into<String>, token: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            token: crate::config::Secret::new(token),
            per_page: 500,
            concurrency: 4,
            timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &self.base_url)
            .field("token", &"<redacted>")
            .field("per_page", &self.per_page)
            .field("concurrency", &self.concurrency)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("Species+ refused the API token (401 Unauthorized) for {url}: set a valid token in speciesplus_token or ECITES_SPECIESPLUS_TOKEN")]
    Unauthorized { url: String },
    #[error("Species+ answered {status} for {url}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    #[error("Species+ did not answer {url} after {attempts} attempts; last: {last}")]
    GaveUp {
        url: String,
        attempts: u32,
        last: String,
    },
    #[error("cannot request {url}: {reason}")]
    Request { url: String, reason: String },
    #[error("the answer of {url} is not what Species+ documents: {source}")]
    Decode {
        url: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("asked {url} for page {asked} and got page {got}: refusing to page on")]
    Pagination { url: String, asked: u64, got: u64 },
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
}

/// A client of the Species+ API v1.
pub struct SpeciesPlusClient {
    http: reqwest::Client,
    config: ClientConfig,
}

/// One failed attempt that may succeed when repeated.
struct Transient {
    what: String,
    retry_after: Option<Duration>,
}

impl SpeciesPlusClient {
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(concat!("ecites/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Setup(e.to_string()))?;
        Ok(Self { http, config })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.config.base_url.trim_end_matches('/'))
    }

    /// One page (from 1) of `GET taxon_concepts`.
    pub async fn taxon_concepts(&self, page: u64) -> Result<TaxonConceptsPage, ClientError> {
        let url = self.url("taxon_concepts");
        let query = [
            ("page", page.to_string()),
            ("per_page", self.config.per_page.to_string()),
        ];
        let answer: TaxonConceptsPage = self.get_json(&url, &query).await?;
        if answer.pagination.current_page != page {
            // A server that ignores `page` would otherwise be paged forever.
            return Err(ClientError::Pagination {
                url,
                asked: page,
                got: answer.pagination.current_page,
            });
        }
        Ok(answer)
    }

    /// `GET taxon_concepts/:id/cites_legislation?scope=all`.
    pub async fn cites_legislation(&self, taxon_id: u64) -> Result<CitesLegislation, ClientError> {
        let url = self.url(&format!("taxon_concepts/{taxon_id}/cites_legislation"));
        self.get_json(&url, &[("scope", "all".to_string())]).await
    }

    /// Every page, then the legislation of every active accepted taxon they hold.
    pub async fn fetch_all(&self, progress: Progress) -> Result<SpeciesAnswers, ClientError> {
        let mut answers = SpeciesAnswers::default();
        let bar = progress.bar(1, "Species+ taxon_concepts pages");
        let mut page = 1;
        loop {
            let answer = self.taxon_concepts(page).await?;
            let p = answer.pagination;
            bar.set_length(p.total_entries.div_ceil(p.per_page.max(1)).max(page));
            bar.inc(1);
            // An empty page ends the walk even if `total_entries` promises more.
            let last = p.is_last_page() || answer.taxon_concepts.is_empty();
            answers.pages.push(answer);
            if last {
                break;
            }
            page += 1;
        }
        bar.finish_and_clear();

        let ids: BTreeSet<u64> = answers
            .pages
            .iter()
            .flat_map(|p| &p.taxon_concepts)
            .filter(|c| c.name_status == NameStatus::Accepted && c.active != Some(false))
            .map(|c| c.id)
            .collect();
        let bar = progress.bar(ids.len() as u64, "Species+ cites_legislation");
        let fetched: BTreeMap<u64, CitesLegislation> = futures::stream::iter(ids)
            .map(|id| {
                let bar = &bar;
                async move {
                    let legislation = self.cites_legislation(id).await?;
                    bar.inc(1);
                    Ok::<_, ClientError>((id, legislation))
                }
            })
            .buffer_unordered(self.config.concurrency.max(1))
            .try_collect()
            .await?;
        bar.finish_and_clear();
        answers.legislation = fetched;
        Ok(answers)
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        url: &str,
        query: &[(&str, String)],
    ) -> Result<T, ClientError> {
        let policy = self.config.retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let failure = match self.attempt(url, query).await? {
                Ok(body) => {
                    return serde_json::from_slice(&body).map_err(|source| ClientError::Decode {
                        url: url.to_string(),
                        source,
                    })
                }
                Err(t) => t,
            };
            if attempt >= policy.max_attempts.max(1) {
                return Err(ClientError::GaveUp {
                    url: url.to_string(),
                    attempts: attempt,
                    last: failure.what,
                });
            }
            tracing::warn!(url, attempt, failure = %failure.what, "Species+ request failed; retrying");
            tokio::time::sleep(policy.delay(attempt, failure.retry_after)).await;
        }
    }

    /// One request: the body of a 2xx answer, a transient failure, or a final error.
    async fn attempt(
        &self,
        url: &str,
        query: &[(&str, String)],
    ) -> Result<Result<bytes::Bytes, Transient>, ClientError> {
        let sent = self
            .http
            .get(url)
            .query(query)
            .header("X-Authentication-Token", self.config.token.expose())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) if e.is_timeout() || e.is_connect() || e.is_request() => {
                return Ok(Err(Transient {
                    what: e.to_string(),
                    retry_after: None,
                }))
            }
            Err(e) => {
                return Err(ClientError::Request {
                    url: url.to_string(),
                    reason: e.to_string(),
                })
            }
        };
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED {
            return Err(ClientError::Unauthorized {
                url: url.to_string(),
            });
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Ok(Err(Transient {
                what: format!("HTTP {status}"),
                retry_after,
            }));
        }
        let body = match response.bytes().await {
            Ok(b) => b,
            // The connection broke while the body was coming: as transient as a refused one.
            Err(e) => {
                return Ok(Err(Transient {
                    what: e.to_string(),
                    retry_after: None,
                }))
            }
        };
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body);
            return Err(ClientError::Status {
                url: url.to_string(),
                status: status.as_u16(),
                body: text.chars().take(300).collect(),
            });
        }
        Ok(Ok(body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_honours_retry_after_within_it() {
        let p = RetryPolicy {
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            max_attempts: 5,
        };
        let ms = |d: Duration| d.as_millis();
        assert_eq!(ms(p.delay(1, None)), 100);
        assert_eq!(ms(p.delay(2, None)), 200);
        assert_eq!(ms(p.delay(4, None)), 800);
        assert_eq!(ms(p.delay(5, None)), 1000);
        assert_eq!(ms(p.delay(40, None)), 1000, "no overflow past 2^31");
        assert_eq!(ms(p.delay(1, Some(Duration::from_millis(500)))), 500);
        assert_eq!(ms(p.delay(1, Some(Duration::from_secs(3600)))), 1000);
    }

    #[test]
    fn the_token_is_not_in_debug_output() {
        let c = ClientConfig::new(DEFAULT_BASE_URL, "s3cret-token");
        assert!(!format!("{c:?}").contains("s3cret"));
    }
}

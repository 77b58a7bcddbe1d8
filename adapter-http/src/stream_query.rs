//! The event stream's query parameters: `after`, `follow`, `source`, `min_severity`, `kind`.
//! Pure: it takes the decoded pairs and answers what the stream must do, or why it cannot.

use session_domain::{EventFilter, EventKind, Severity, Source};

/// What a `GET /v1/events` asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamQuery {
    /// `after`, as sent; [`start_after`](crate::start_after) reads it with `Last-Event-ID`.
    pub after: Option<String>,
    /// `follow=false` ends the stream at the newest event of the moment.
    pub follow: bool,
    /// `source`, `min_severity` and `kind`.
    pub filter: EventFilter,
}

/// A parameter the stream cannot take (an HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// A name the stream does not know.
    #[error(
        "unknown parameter {name:?}; the stream takes after, follow, source, min_severity and kind"
    )]
    Unknown {
        /// The parameter's name.
        name: String,
    },
    /// A parameter that may appear once appeared again.
    #[error("{name} is given twice; give it once")]
    Repeated {
        /// The parameter's name.
        name: &'static str,
    },
    /// A value the parameter does not take.
    #[error("{name}={found:?}: expected {expected}")]
    BadValue {
        /// The parameter's name.
        name: &'static str,
        /// The value as sent.
        found: String,
        /// What it takes.
        expected: &'static str,
    },
}

/// Reads the decoded `(name, value)` pairs of a stream's query.
pub fn parse_stream_query(
    pairs: impl IntoIterator<Item = (String, String)>,
) -> Result<StreamQuery, QueryError> {
    let mut query = StreamQuery {
        follow: true,
        ..StreamQuery::default()
    };
    let mut follow_seen = false;
    for (name, value) in pairs {
        match name.as_str() {
            "after" => {
                if query.after.replace(value).is_some() {
                    return Err(QueryError::Repeated { name: "after" });
                }
            }
            "follow" => {
                if std::mem::replace(&mut follow_seen, true) {
                    return Err(QueryError::Repeated { name: "follow" });
                }
                query.follow = match value.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(bad("follow", value, "true or false")),
                };
            }
            "source" => {
                let sources = query.filter.sources.get_or_insert_with(Vec::new);
                for name in list(&value) {
                    let source = Source::from_name_lenient(name).ok_or_else(|| {
                        bad(
                            "source",
                            name.to_owned(),
                            "a comma-separated list of build, pack-validation, pack, manifest, runtime, session",
                        )
                    })?;
                    sources.push(source);
                }
            }
            "min_severity" => {
                let level = Severity::from_name_lenient(&value).ok_or_else(|| {
                    bad(
                        "min_severity",
                        value.clone(),
                        "one of trace, debug, info, warn, error",
                    )
                })?;
                if query.filter.min_severity.replace(level).is_some() {
                    return Err(QueryError::Repeated {
                        name: "min_severity",
                    });
                }
            }
            "kind" => {
                let kinds = query.filter.kinds.get_or_insert_with(Vec::new);
                for name in list(&value) {
                    let kind = EventKind::from_name(name).ok_or_else(|| {
                        bad(
                            "kind",
                            name.to_owned(),
                            "a comma-separated list of log, state, step",
                        )
                    })?;
                    kinds.push(kind);
                }
            }
            _ => return Err(QueryError::Unknown { name }),
        }
    }
    Ok(query)
}

fn list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim)
}

fn bad(name: &'static str, found: String, expected: &'static str) -> QueryError {
    QueryError::BadValue {
        name,
        found: found.chars().take(80).collect(),
        expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<StreamQuery, QueryError> {
        parse_stream_query(
            pairs
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
        )
    }

    #[test]
    fn reads_every_parameter() {
        let query = parse(&[
            ("after", "12"),
            ("follow", "false"),
            ("source", "runtime,SESSION"),
            ("source", "build"),
            ("min_severity", "Warning"),
            ("kind", "state,step"),
        ])
        .expect("a valid query");
        assert_eq!(query.after.as_deref(), Some("12"));
        assert!(!query.follow);
        assert_eq!(
            query.filter.sources,
            Some(vec![Source::Runtime, Source::Session, Source::Build])
        );
        assert_eq!(query.filter.min_severity, Some(Severity::Warn));
        assert_eq!(
            query.filter.kinds,
            Some(vec![EventKind::State, EventKind::Step])
        );
        let empty = parse(&[]).expect("no parameter is valid");
        assert!(empty.follow && empty.after.is_none() && empty.filter.is_open());
    }

    #[test]
    fn refuses_what_it_cannot_take() {
        let cases: [&[(&str, &str)]; 9] = [
            &[("folow", "true")],
            &[("follow", "yes")],
            &[("follow", "true"), ("follow", "false")],
            &[("after", "1"), ("after", "2")],
            &[("source", "linker")],
            &[("source", "")],
            &[("min_severity", "loud")],
            &[("min_severity", "warn"), ("min_severity", "info")],
            &[("kind", "log,missed")],
        ];
        for pairs in cases {
            assert!(parse(pairs).is_err(), "{pairs:?}");
        }
        assert_eq!(
            parse(&[("follow", "yes")]).map_err(|error| error.to_string()),
            Err("follow=\"yes\": expected true or false".to_owned())
        );
    }
}

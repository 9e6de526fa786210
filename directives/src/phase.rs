//! The twelve request-phase handler directives and what each one's handlers are called.

/// A request phase that has a `Python*Handler` directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HandlerPhase {
    /// `PythonPostReadRequestHandler`
    PostReadRequest,
    /// `PythonTransHandler`
    Trans,
    /// `PythonHeaderParserHandler`
    HeaderParser,
    /// `PythonInitHandler`
    Init,
    /// `PythonAccessHandler`
    Access,
    /// `PythonAuthenHandler`
    Authen,
    /// `PythonAuthzHandler`
    Authz,
    /// `PythonTypeHandler`
    Type,
    /// `PythonFixupHandler`
    Fixup,
    /// `PythonHandler`
    Handler,
    /// `PythonLogHandler`
    Log,
    /// `PythonCleanupHandler`
    Cleanup,
}

impl HandlerPhase {
    /// Every phase, in request order.
    pub const ALL: [HandlerPhase; 12] = [
        HandlerPhase::PostReadRequest,
        HandlerPhase::Trans,
        HandlerPhase::HeaderParser,
        HandlerPhase::Init,
        HandlerPhase::Access,
        HandlerPhase::Authen,
        HandlerPhase::Authz,
        HandlerPhase::Type,
        HandlerPhase::Fixup,
        HandlerPhase::Handler,
        HandlerPhase::Log,
        HandlerPhase::Cleanup,
    ];

    /// The directive's name, which is also `req.phase` while its handlers run.
    pub fn directive(self) -> &'static str {
        match self {
            HandlerPhase::PostReadRequest => "PythonPostReadRequestHandler",
            HandlerPhase::Trans => "PythonTransHandler",
            HandlerPhase::HeaderParser => "PythonHeaderParserHandler",
            HandlerPhase::Init => "PythonInitHandler",
            HandlerPhase::Access => "PythonAccessHandler",
            HandlerPhase::Authen => "PythonAuthenHandler",
            HandlerPhase::Authz => "PythonAuthzHandler",
            HandlerPhase::Type => "PythonTypeHandler",
            HandlerPhase::Fixup => "PythonFixupHandler",
            HandlerPhase::Handler => "PythonHandler",
            HandlerPhase::Log => "PythonLogHandler",
            HandlerPhase::Cleanup => "PythonCleanupHandler",
        }
    }

    /// The phase of a directive name, if it is one of the twelve.
    pub fn from_directive(name: &str) -> Option<HandlerPhase> {
        HandlerPhase::ALL
            .into_iter()
            .find(|p| p.directive().eq_ignore_ascii_case(name))
    }

    /// The callable looked up when a handler names no object: the directive name lower-cased
    /// without `python` (`PythonAuthenHandler` → `authenhandler`), as mod_python does.
    pub fn default_callable(self) -> String {
        self.directive()["Python".len()..].to_ascii_lowercase()
    }

    /// Whether `| .ext` may restrict this phase (not before the file is known).
    pub fn accepts_extensions(self) -> bool {
        !matches!(self, HandlerPhase::PostReadRequest | HandlerPhase::Trans)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_callable_is_directive_without_python_lowercased() {
        assert_eq!(HandlerPhase::Handler.default_callable(), "handler");
        assert_eq!(HandlerPhase::Authen.default_callable(), "authenhandler");
        assert_eq!(
            HandlerPhase::PostReadRequest.default_callable(),
            "postreadrequesthandler"
        );
    }

    #[test]
    fn directive_names_round_trip() {
        for p in HandlerPhase::ALL {
            assert_eq!(HandlerPhase::from_directive(p.directive()), Some(p));
        }
        assert_eq!(
            HandlerPhase::from_directive("pythonhandler"),
            Some(HandlerPhase::Handler)
        );
        assert_eq!(HandlerPhase::from_directive("PythonPath"), None);
    }
}

import Logging

extension Logger.Metadata {
    /// The metadata one log event carries, merged the way swift-log's own handlers merge it.
    ///
    /// Later sources win: the handler's own metadata, then the metadata provider's, then the
    /// call site's. An attached error is added under the key `error`.
    static func merged(
        handler: Logger.Metadata,
        provider: Logger.MetadataProvider?,
        event: LogEvent
    ) -> Logger.Metadata {
        var metadata = handler
        if let provided = provider?.get(), !provided.isEmpty {
            metadata.merge(provided) { _, provided in provided }
        }
        if let explicit = event.metadata, !explicit.isEmpty {
            metadata.merge(explicit) { _, explicit in explicit }
        }
        if let error = event.error {
            metadata["error"] = "\(error)"
        }
        return metadata
    }
}

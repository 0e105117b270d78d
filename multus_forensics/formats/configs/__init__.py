"""CNI configuration as evidence: .conf/.conflist, NetworkAttachmentDefinitions, listings."""

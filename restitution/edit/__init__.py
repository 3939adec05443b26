"""`restitution edit`: a session's page served on 127.0.0.1 in an edit mode, whose saves become
corrections (restitution.corrections) and republish every output. `server` is the HTTP side and
its security, `page` the edit page, `save` what a save does."""

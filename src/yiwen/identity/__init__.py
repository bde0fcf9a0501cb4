"""One customer across channels: identities linked only on proof, merged history, undoable."""

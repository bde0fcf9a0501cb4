"""The HTTP edge shared by the features' ``api`` modules: dependencies and error mapping."""

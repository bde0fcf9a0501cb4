"""The agent's workspace: inbox, customer 360, order actions within authority, macros, replies."""

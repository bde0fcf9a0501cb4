"""The optional LLM backend: it rephrases the bot's answers and drafts replies for agents.

It is given no tools and its output is never executed: store actions (resend,
refund, freeze…) stay with the SOPs and agents, behind the same permission
checks as before. Anything the model writes that adds a fact the input did not
contain — an order number, an amount, a card key, a link — is thrown away.
"""

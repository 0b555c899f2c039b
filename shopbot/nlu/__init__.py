"""Custom Rasa NLU components for Chinese shop chat."""

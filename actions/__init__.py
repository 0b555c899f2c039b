"""The action server's package (`rasa run actions --actions actions`).

Actions stay thin: shop facts and policy come from shopbot.shop, never from SQL
written inside an action.
"""

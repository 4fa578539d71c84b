"""The sample's scenario events: one module per cause family (plus hostile text,
near-miss non-denials and the daily hand-placed events); ``timeline.build()``
runs them in order.
"""

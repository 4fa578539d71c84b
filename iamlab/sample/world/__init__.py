"""The sample's world: accounts, IAM, policy documents, the answer key and the story.

Constants and tables only, so the snapshot, the events and the labels agree by
construction.
"""

"""Writing the sample to disk: the S3 export layout and its views, the IAM
snapshot, and ``generate()`` that runs everything.
"""

#!/usr/bin/env python3
"""A moto S3 server on loopback as the tests' object store, made to check credentials.

  peer.py setup ENDPOINT BUCKET       create an IAM user allowed s3:*, its access key and BUCKET,
                                      then turn on moto's authentication (every later request
                                      must be signed with a key moto knows); prints the key as
                                      JSON {"access_key_id": ..., "secret_access_key": ...}
  peer.py get ENDPOINT BUCKET KEY     print the object's bytes (signed with the key in
                                      AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)

moto accepts anything until authentication is turned on (its reset-auth API), so the setup
uses placeholder credentials, and the test's wrong-key and wrong-secret cases are then refused
with InvalidAccessKeyId and SignatureDoesNotMatch as S3 would.
"""
import json
import sys
import urllib.request

import boto3


def client(service, endpoint, key="setup", secret="setup"):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
    )


def setup(endpoint, bucket):
    iam = client("iam", endpoint)
    iam.create_user(UserName="analyzer")
    iam.put_user_policy(
        UserName="analyzer",
        PolicyName="s3",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        ),
    )
    key = iam.create_access_key(UserName="analyzer")["AccessKey"]
    client("s3", endpoint).create_bucket(Bucket=bucket)
    # From now on moto authenticates and authorizes every request.
    req = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=b"0", method="POST",
                                 headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(req).read()
    print(json.dumps({"access_key_id": key["AccessKeyId"],
                      "secret_access_key": key["SecretAccessKey"]}))


def get(endpoint, bucket, key):
    import os
    s3 = client("s3", endpoint, os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
    sys.stdout.buffer.write(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    {"setup": setup, "get": get}[cmd](*args)

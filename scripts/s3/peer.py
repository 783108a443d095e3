#!/usr/bin/env python3
"""A moto S3 server on loopback as the tests' object store, made to check credentials.

  peer.py setup ENDPOINT BUCKET [N]   create an IAM user allowed s3:*, its access key, BUCKET
                                      and role `writer` (allowed s3:*, assumable with a web
                                      identity), then turn on moto's authentication (every
                                      request after the next N, default 0, must be signed with a
                                      key moto knows); prints the key and the role as JSON
                                      {"access_key_id": ..., "secret_access_key": ..., "role_arn": ...}
  peer.py assume ENDPOINT ROLE TOKEN  AssumeRoleWithWebIdentity (unsigned, as STS takes it: one
                                      of the N above); prints the temporary credentials as the
                                      container and instance metadata endpoints serve them
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


# What the user and the role may do: anything in S3.
S3_ALL = json.dumps({"Version": "2012-10-17",
                     "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


def setup(endpoint, bucket, unsigned="0"):
    iam = client("iam", endpoint)
    iam.create_user(UserName="analyzer")
    iam.put_user_policy(UserName="analyzer", PolicyName="s3", PolicyDocument=S3_ALL)
    key = iam.create_access_key(UserName="analyzer")["AccessKey"]
    trust = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                            "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/oidc.test"}}]}
    role = iam.create_role(RoleName="writer", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName="writer", PolicyName="s3", PolicyDocument=S3_ALL)
    client("s3", endpoint).create_bucket(Bucket=bucket)
    # After the next `unsigned` requests moto authenticates and authorizes every request: STS's
    # AssumeRoleWithWebIdentity is unsigned, and moto checks it like any other.
    req = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=unsigned.encode(), method="POST",
                                 headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(req).read()
    print(json.dumps({"access_key_id": key["AccessKeyId"],
                      "secret_access_key": key["SecretAccessKey"],
                      "role_arn": role["Arn"]}))


def assume(endpoint, role_arn, token):
    from botocore import UNSIGNED
    from botocore.config import Config

    sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                       config=Config(signature_version=UNSIGNED))
    c = sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="thoth-test",
                                          WebIdentityToken=token)["Credentials"]
    print(json.dumps({"Code": "Success", "Type": "AWS-HMAC",
                      "AccessKeyId": c["AccessKeyId"], "SecretAccessKey": c["SecretAccessKey"],
                      "Token": c["SessionToken"],
                      "Expiration": c["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ")}))


def get(endpoint, bucket, key):
    import os
    s3 = client("s3", endpoint, os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
    sys.stdout.buffer.write(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    {"setup": setup, "get": get, "assume": assume}[cmd](*args)

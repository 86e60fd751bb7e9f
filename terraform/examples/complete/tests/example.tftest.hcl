# The example planned as a platform team would plan it, against a mocked provider: the AZs come
# from data sources, which an offline plan with fake credentials could not read.

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  # eu-west-1 as an account might see it: four usable zones, Lambda's endpoint offered in three.
  mock_data "aws_availability_zones" {
    defaults = {
      names    = ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"]
      zone_ids = ["euw1-az1", "euw1-az2", "euw1-az3", "euw1-az4"]
    }
  }
  mock_data "aws_vpc_endpoint_service" {
    defaults = { availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c", "eu-west-1d"] }
  }
  mock_data "aws_servicequotas_service_quota" {
    defaults = { value = 1000 }
  }
  # ARN arguments are validated even when mocked.
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:mock" }
  }
  mock_resource "aws_lambda_layer_version" {
    defaults = { arn = "arn:aws:lambda:eu-west-1:123456789012:layer:mock:1" }
  }
  mock_resource "aws_iam_policy" {
    defaults = { arn = "arn:aws:iam::123456789012:policy/mock" }
  }
  mock_resource "aws_db_proxy_default_target_group" {
    defaults = { name = "default" }
  }
  mock_resource "aws_db_instance" {
    defaults = { master_user_secret = [{ secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds-mock", kms_key_id = "", secret_status = "active" }] }
  }
}

override_data {
  target = module.judge.module.network.data.aws_vpc_endpoint_service.offered["lambda"]
  values = { availability_zones = ["eu-west-1b", "eu-west-1c", "eu-west-1d"] }
}

run "plans_with_zones_from_the_region" {
  command = plan

  assert {
    condition     = output.availability_zones == tolist(["eu-west-1b", "eu-west-1c", "eu-west-1d"])
    error_message = "The example must choose three zones that offer Lambda's endpoint, not hard-coded letters."
  }
}

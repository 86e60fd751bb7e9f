# The example planned as a platform team would plan it, against a mocked provider: the AZs come
# from data sources, which an offline plan with fake credentials could not read.

mock_provider "aws" {
  source = "../../tests/mocks" # the region and the ARN shapes, shared with the root module's tests

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

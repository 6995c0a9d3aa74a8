// Package deploytest checks the deployment artifacts that no Go code
// imports: the ECS task and service definitions in deploy/, the Terraform
// module in terraform/, and the other files operators install. Its tests
// hold those files to the code they deploy, so that a renamed flag, a new
// AWS call or a changed table key fails here rather than in production.
package deploytest

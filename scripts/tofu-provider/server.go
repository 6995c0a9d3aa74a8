package main

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// defaultRegion is the region when neither the provider block nor
// AWS_REGION names one: the provider itself would refuse to start, but a
// check should not depend on the caller's environment.
const defaultRegion = "us-east-1"

// server serves the AWS provider's schema and plans against it. It never
// applies, imports or reads a real resource, and opens no connection.
type server struct {
	schema    *providerSchema
	proto     *tfprotov6.GetProviderSchemaResponse
	resources map[string]tftypes.Object
	data      map[string]tftypes.Object
	provider  tftypes.Object

	mu     sync.Mutex
	region string
}

var _ tfprotov6.ProviderServer = (*server)(nil)

func newServer(ps *providerSchema) (*server, error) {
	s := &server{
		schema:    ps,
		resources: map[string]tftypes.Object{},
		data:      map[string]tftypes.Object{},
		region:    defaultRegion,
		proto: &tfprotov6.GetProviderSchemaResponse{
			ResourceSchemas:   map[string]*tfprotov6.Schema{},
			DataSourceSchemas: map[string]*tfprotov6.Schema{},
		},
	}
	if r := os.Getenv("AWS_REGION"); r != "" {
		s.region = r
	}
	var err error
	if s.proto.Provider, err = ps.Provider.proto(); err != nil {
		return nil, fmt.Errorf("provider schema: %w", err)
	}
	if s.provider, err = ps.Provider.Block.objectType(); err != nil {
		return nil, fmt.Errorf("provider schema: %w", err)
	}
	for name, sc := range ps.ResourceSchemas {
		if s.proto.ResourceSchemas[name], err = sc.proto(); err != nil {
			return nil, fmt.Errorf("resource %s: %w", name, err)
		}
		if s.resources[name], err = sc.Block.objectType(); err != nil {
			return nil, fmt.Errorf("resource %s: %w", name, err)
		}
	}
	for name, sc := range ps.DataSourceSchemas {
		if s.proto.DataSourceSchemas[name], err = sc.proto(); err != nil {
			return nil, fmt.Errorf("data source %s: %w", name, err)
		}
		if s.data[name], err = sc.Block.objectType(); err != nil {
			return nil, fmt.Errorf("data source %s: %w", name, err)
		}
	}
	return s, nil
}

func errorDiag(summary string, err error) []*tfprotov6.Diagnostic {
	d := &tfprotov6.Diagnostic{Severity: tfprotov6.DiagnosticSeverityError, Summary: summary}
	if err != nil {
		d.Detail = err.Error()
	}
	return []*tfprotov6.Diagnostic{d}
}

// notApplied is the answer to every call that would change or read real
// infrastructure.
func notApplied(what string) []*tfprotov6.Diagnostic {
	return errorDiag(what+" is not supported", fmt.Errorf("this provider serves the AWS provider's schema for `tofu validate` and `tofu plan` only; it never calls AWS"))
}

func (s *server) GetMetadata(context.Context, *tfprotov6.GetMetadataRequest) (*tfprotov6.GetMetadataResponse, error) {
	resp := &tfprotov6.GetMetadataResponse{ServerCapabilities: &tfprotov6.ServerCapabilities{}}
	for _, name := range sortedKeys(s.resources) {
		resp.Resources = append(resp.Resources, tfprotov6.ResourceMetadata{TypeName: name})
	}
	for _, name := range sortedKeys(s.data) {
		resp.DataSources = append(resp.DataSources, tfprotov6.DataSourceMetadata{TypeName: name})
	}
	return resp, nil
}

func (s *server) GetProviderSchema(context.Context, *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	return s.proto, nil
}

func (s *server) GetResourceIdentitySchemas(context.Context, *tfprotov6.GetResourceIdentitySchemasRequest) (*tfprotov6.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov6.GetResourceIdentitySchemasResponse{}, nil
}

func (s *server) ValidateProviderConfig(_ context.Context, req *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	return &tfprotov6.ValidateProviderConfigResponse{PreparedConfig: req.Config}, nil
}

// ConfigureProvider accepts any credentials (none are ever used) and
// remembers the region for aws_region.
func (s *server) ConfigureProvider(_ context.Context, req *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	if req.Config == nil {
		return &tfprotov6.ConfigureProviderResponse{}, nil
	}
	cfg, err := req.Config.Unmarshal(s.provider)
	if err != nil {
		return &tfprotov6.ConfigureProviderResponse{Diagnostics: errorDiag("provider configuration", err)}, nil
	}
	s.mu.Lock()
	s.region = regionOf(cfg, s.region)
	s.mu.Unlock()
	return &tfprotov6.ConfigureProviderResponse{}, nil
}

func (s *server) StopProvider(context.Context, *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	return &tfprotov6.StopProviderResponse{}, nil
}

func (s *server) ValidateResourceConfig(_ context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	if _, ok := s.resources[req.TypeName]; !ok {
		return &tfprotov6.ValidateResourceConfigResponse{Diagnostics: errorDiag("unknown resource type "+req.TypeName, nil)}, nil
	}
	return &tfprotov6.ValidateResourceConfigResponse{}, nil
}

func (s *server) UpgradeResourceState(_ context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	typ, ok := s.resources[req.TypeName]
	if !ok || req.RawState == nil {
		return &tfprotov6.UpgradeResourceStateResponse{Diagnostics: errorDiag("unknown resource type "+req.TypeName, nil)}, nil
	}
	v, err := req.RawState.UnmarshalWithOpts(typ, tfprotov6.UnmarshalOpts{ValueFromJSONOpts: tftypes.ValueFromJSONOpts{IgnoreUndefinedAttributes: true}})
	if err != nil {
		return &tfprotov6.UpgradeResourceStateResponse{Diagnostics: errorDiag("prior state", err)}, nil
	}
	dv, err := tfprotov6.NewDynamicValue(typ, v)
	if err != nil {
		return nil, err
	}
	return &tfprotov6.UpgradeResourceStateResponse{UpgradedState: &dv}, nil
}

// ReadResource returns the prior state as it is: there is no real
// resource to refresh it from.
func (s *server) ReadResource(_ context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return &tfprotov6.ReadResourceResponse{NewState: req.CurrentState, Private: req.Private}, nil
}

func (s *server) PlanResourceChange(_ context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	typ, ok := s.resources[req.TypeName]
	if !ok {
		return &tfprotov6.PlanResourceChangeResponse{Diagnostics: errorDiag("unknown resource type "+req.TypeName, nil)}, nil
	}
	proposed, err := req.ProposedNewState.Unmarshal(typ)
	if err != nil {
		return &tfprotov6.PlanResourceChangeResponse{Diagnostics: errorDiag("proposed state", err)}, nil
	}
	planned, err := plan(s.schema.ResourceSchemas[req.TypeName].Block, proposed)
	if err != nil {
		return &tfprotov6.PlanResourceChangeResponse{Diagnostics: errorDiag("plan "+req.TypeName, err)}, nil
	}
	dv, err := tfprotov6.NewDynamicValue(typ, planned)
	if err != nil {
		return nil, err
	}
	return &tfprotov6.PlanResourceChangeResponse{PlannedState: &dv}, nil
}

func (s *server) ApplyResourceChange(context.Context, *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	return &tfprotov6.ApplyResourceChangeResponse{Diagnostics: notApplied("apply")}, nil
}

func (s *server) ImportResourceState(context.Context, *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	return &tfprotov6.ImportResourceStateResponse{Diagnostics: notApplied("import")}, nil
}

func (s *server) MoveResourceState(context.Context, *tfprotov6.MoveResourceStateRequest) (*tfprotov6.MoveResourceStateResponse, error) {
	return &tfprotov6.MoveResourceStateResponse{Diagnostics: notApplied("moved")}, nil
}

func (s *server) UpgradeResourceIdentity(context.Context, *tfprotov6.UpgradeResourceIdentityRequest) (*tfprotov6.UpgradeResourceIdentityResponse, error) {
	return &tfprotov6.UpgradeResourceIdentityResponse{Diagnostics: notApplied("resource identity")}, nil
}

func (s *server) GenerateResourceConfig(context.Context, *tfprotov6.GenerateResourceConfigRequest) (*tfprotov6.GenerateResourceConfigResponse, error) {
	return &tfprotov6.GenerateResourceConfigResponse{Diagnostics: notApplied("config generation")}, nil
}

func (s *server) ValidateDataResourceConfig(_ context.Context, req *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	if _, ok := s.data[req.TypeName]; !ok {
		return &tfprotov6.ValidateDataResourceConfigResponse{Diagnostics: errorDiag("unknown data source "+req.TypeName, nil)}, nil
	}
	return &tfprotov6.ValidateDataResourceConfigResponse{}, nil
}

func (s *server) ReadDataSource(_ context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	typ, ok := s.data[req.TypeName]
	if !ok {
		return &tfprotov6.ReadDataSourceResponse{Diagnostics: errorDiag("unknown data source "+req.TypeName, nil)}, nil
	}
	cfg, err := req.Config.Unmarshal(typ)
	if err != nil {
		return &tfprotov6.ReadDataSourceResponse{Diagnostics: errorDiag("data source configuration", err)}, nil
	}
	s.mu.Lock()
	region := s.region
	s.mu.Unlock()
	state, err := readData(req.TypeName, region, cfg)
	if err != nil {
		return &tfprotov6.ReadDataSourceResponse{Diagnostics: errorDiag("read "+req.TypeName, err)}, nil
	}
	dv, err := tfprotov6.NewDynamicValue(typ, state)
	if err != nil {
		return nil, err
	}
	return &tfprotov6.ReadDataSourceResponse{State: &dv}, nil
}

func (s *server) GetFunctions(context.Context, *tfprotov6.GetFunctionsRequest) (*tfprotov6.GetFunctionsResponse, error) {
	return &tfprotov6.GetFunctionsResponse{Functions: map[string]*tfprotov6.Function{}}, nil
}

func (s *server) CallFunction(context.Context, *tfprotov6.CallFunctionRequest) (*tfprotov6.CallFunctionResponse, error) {
	return &tfprotov6.CallFunctionResponse{Error: &tfprotov6.FunctionError{Text: "the check provider has no functions"}}, nil
}

func (s *server) ValidateEphemeralResourceConfig(context.Context, *tfprotov6.ValidateEphemeralResourceConfigRequest) (*tfprotov6.ValidateEphemeralResourceConfigResponse, error) {
	return &tfprotov6.ValidateEphemeralResourceConfigResponse{Diagnostics: notApplied("ephemeral resources")}, nil
}

func (s *server) OpenEphemeralResource(context.Context, *tfprotov6.OpenEphemeralResourceRequest) (*tfprotov6.OpenEphemeralResourceResponse, error) {
	return &tfprotov6.OpenEphemeralResourceResponse{Diagnostics: notApplied("ephemeral resources")}, nil
}

func (s *server) RenewEphemeralResource(context.Context, *tfprotov6.RenewEphemeralResourceRequest) (*tfprotov6.RenewEphemeralResourceResponse, error) {
	return &tfprotov6.RenewEphemeralResourceResponse{Diagnostics: notApplied("ephemeral resources")}, nil
}

func (s *server) CloseEphemeralResource(context.Context, *tfprotov6.CloseEphemeralResourceRequest) (*tfprotov6.CloseEphemeralResourceResponse, error) {
	return &tfprotov6.CloseEphemeralResourceResponse{}, nil
}

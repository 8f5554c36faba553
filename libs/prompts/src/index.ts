export { PromptError, type PromptErrorCode } from './errors';
export {
  HELPERS,
  HELPER_NAMES,
  handlebars,
  localeFallbacks,
  type HelperSpec,
  type LocaleMessages,
} from './environment';
export {
  MAX_TEMPLATE_BYTES,
  analyzeTemplate,
  checkTemplateSize,
  templateSourceHash,
  type TemplateAnalysis,
  type VariableReference,
} from './analyze';
export {
  CONTEXT_ROOTS,
  SEGMENT_FIELDS,
  VARIABLE_TYPES,
  buildRenderContext,
  checkDeclaredVariables,
  matchesType,
  validateDeclarations,
  type DeclaredVariable,
  type RenderContext,
  type RenderContextInput,
  type RenderSegment,
  type VariableType,
  type VariableValue,
} from './variables';
export {
  MAX_TEMPLATE_DEPTH,
  MAX_TEMPLATE_NODES,
  checkTemplateComplexity,
  measureTemplate,
  type TemplateComplexity,
} from './complexity';
export {
  DEFAULT_LOCALE,
  MAX_RENDERED_CHARS,
  MAX_RENDER_STEPS,
  renderBudget,
  type RenderBudget,
  compileTemplate,
  renderTemplate,
  type CompileTemplateOptions,
  type CompiledTemplate,
} from './template';
export {
  assertContentPolicy,
  checkContentPolicy,
  compileContentPolicy,
  normalizeForMatching,
  type ContentPolicy,
  type ContentPolicyChecker,
  type PolicyResult,
  type PolicyText,
  type PolicyViolation,
  type PolicyViolationKind,
  type RealPerson,
} from './policy';

/** On-screen AI disclosure in the languages Adloom ships with; a brand kit can override any of them. */
export const DEFAULT_AI_LABELS: Readonly<Record<string, string>> = {
  en: 'AI-generated',
  de: 'KI-generiert',
  fr: 'Généré par IA',
  es: 'Generado con IA',
  it: 'Generato con IA',
  pt: 'Gerado por IA',
  nl: 'Gemaakt met AI',
  sv: 'AI-genererad',
  pl: 'Wygenerowane przez AI',
  ja: 'AI生成',
  ko: 'AI 생성',
  zh: 'AI生成',
};

/**
 * The label for a locale: the brand's text for the exact locale (`pt-BR`), then for its language (`pt`),
 * then the built-in text for the language, then English.
 */
export function aiLabelFor(locale: string, brandLabels: Readonly<Record<string, string>> = {}): string {
  const exact = locale.trim();
  const language = exact.split(/[-_]/)[0].toLowerCase();
  return (
    brandLabels[exact] ??
    brandLabels[language] ??
    DEFAULT_AI_LABELS[language] ??
    brandLabels.en ??
    DEFAULT_AI_LABELS.en
  );
}

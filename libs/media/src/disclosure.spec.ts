import { aiLabelFor } from './disclosure';

describe('aiLabelFor', () => {
  it('prefers the brand’s text for the locale, then its language, then the built-in text', () => {
    const brand = { 'pt-BR': 'Criado com IA', de: 'Mit KI erstellt' };
    expect(aiLabelFor('pt-BR', brand)).toBe('Criado com IA');
    expect(aiLabelFor('pt-PT', brand)).toBe('Gerado por IA');
    expect(aiLabelFor('de-AT', brand)).toBe('Mit KI erstellt');
    expect(aiLabelFor('fr_CA')).toBe('Généré par IA');
    expect(aiLabelFor('tlh')).toBe('AI-generated');
  });
});

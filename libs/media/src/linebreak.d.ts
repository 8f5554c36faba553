declare module 'linebreak' {
  /** UAX #14 line breaking (Unicode 13): each call to nextBreak gives the next break opportunity. */
  export default class LineBreaker {
    constructor(text: string);
    nextBreak(): { position: number; required: boolean } | null;
  }
}

// Texts of admin screens part A, merged under `admin` in the console catalogue.
export const messagesA = {
  'zh-CN': {},
  en: {},
}

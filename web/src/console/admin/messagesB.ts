// Texts of admin screens part B, merged under `admin` in the console catalogue.
export const messagesB = {
  'zh-CN': {},
  en: {},
}
